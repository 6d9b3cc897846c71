"""The forum service: who may read and write, anonymity, moderation, unread, search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import anyio
import pytest

from app.db.tables import (
    AuditEvent,
    ForumPost,
    ForumThread,
    Group,
    Notification,
    Reminder,
    User,
)
from app.services import forum, groups, membership
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.safeguarding import break_glass
from tests.services.groups_support import NOW, add, group_of, person

LATER = NOW + timedelta(minutes=5)


async def peers(kind: str = "peer_support", **settings: object) -> tuple[int, dict[str, Account]]:
    """A group with a convenor, two members and an outsider."""
    people = {n: await person(n) for n in ("convenor", "bob", "dina", "carol")}
    gid = await group_of(kind, people["convenor"], **settings)
    await add(gid, people["bob"], people["dina"])
    return gid, people


async def thread_with_posts(
    gid: int, first: Account, body: str = "How do you all wind down after a night shift?"
) -> int:
    return await forum.start_thread(gid, first, {"title": "Winding down", "body": body}, NOW)


async def labels(thread_id: int, who: Account) -> list[str]:
    return [p.label for p in (await forum.thread_page(thread_id, who, NOW)).posts]


async def test_a_member_starts_a_thread_and_others_reply_in_order(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    await forum.reply(tid, p["dina"], {"body": "A walk, *always*."}, LATER)
    await forum.reply(tid, p["convenor"], {"body": "Tea and the radio."}, LATER)
    page = await forum.thread_page(tid, p["bob"], LATER)
    assert [post.label for post in page.posts] == ["Person bob", "Person dina", "Person convenor"]
    assert page.posts[1].body_html == "<p>A walk, <em>always</em>.</p>\n"
    assert page.posts[0].mine and not page.posts[1].mine
    listing = await forum.forum_page(gid, p["dina"], LATER)
    assert [(t.title, t.replies) for t in listing.threads] == [("Winding down", 2)]
    assert listing.threads[0].last_post_at == LATER


async def test_a_thread_needs_a_title_and_words_and_says_so_beside_each_field(db: str) -> None:
    gid, p = await peers()
    with pytest.raises(FormErrors) as e:
        await forum.start_thread(gid, p["bob"], {"title": " ", "body": ""}, NOW)
    assert set(e.value.errors) == {"title", "body"}
    with pytest.raises(FormErrors) as e:
        await forum.start_thread(gid, p["bob"], {"title": "x" * 151, "body": "y" * 5001}, NOW)
    assert "150" in e.value.errors["title"] and "5,000" in e.value.errors["body"]
    assert await ForumThread.count() == 0


async def test_editing_a_post_marks_it_edited_and_only_its_author_may(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    first = (await forum.thread_page(tid, p["bob"], NOW)).posts[0]
    assert not first.edited
    await forum.edit_post(first.id, p["bob"], "How do you all **rest**?", LATER)
    edited = (await forum.thread_page(tid, p["dina"], LATER)).posts[0]
    assert edited.edited and edited.edited_at == LATER
    assert "<strong>rest</strong>" in edited.body_html
    for other in (p["dina"], p["convenor"]):
        with pytest.raises(NotFound):
            await forum.edit_post(first.id, other, "Changed by someone else", LATER)
    with pytest.raises(FormErrors):
        await forum.edit_post(first.id, p["bob"], "   ", LATER)


async def test_deleting_a_post_erases_its_words_and_a_lone_opening_post_takes_its_thread(
    db: str,
) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    place = await forum.reply(tid, p["dina"], {"body": "I regret saying this"}, LATER)
    with pytest.raises(NotFound):
        await forum.delete_post(place.post_id, p["bob"], LATER)
    deleted = await forum.delete_post(place.post_id, p["dina"], LATER)
    assert deleted.place is not None and deleted.place.thread_id == tid
    row = await ForumPost.select().where(ForumPost.id == place.post_id).first()
    assert row["body"] == "" and row["deleted_at"] == LATER
    shown = (await forum.thread_page(tid, p["bob"], LATER)).posts[1]
    assert shown.deleted and shown.label == "" and shown.body_html == ""
    with pytest.raises(NotFound):
        await forum.edit_post(place.post_id, p["dina"], "Back again", LATER)

    lone = await forum.start_thread(gid, p["dina"], {"title": "Oops", "body": "Wrong group"}, NOW)
    opening = (await forum.thread_page(lone, p["dina"], NOW)).posts[0]
    gone = await forum.delete_post(opening.id, p["dina"], LATER)
    assert gone.place is None and gone.group_id == gid
    assert not await ForumThread.exists().where(ForumThread.id == lone)


async def test_only_convenors_pin_and_pinned_threads_come_first(db: str) -> None:
    gid, p = await peers()
    older = await thread_with_posts(gid, p["bob"])
    await forum.start_thread(gid, p["dina"], {"title": "Newer", "body": "Hello"}, LATER)
    with pytest.raises(NotFound):
        await forum.set_pinned(older, p["bob"], True, LATER)
    await forum.set_pinned(older, p["convenor"], True, LATER)
    titles = [t.title for t in (await forum.forum_page(gid, p["bob"], LATER)).threads]
    assert titles == ["Winding down", "Newer"]
    assert (await forum.forum_page(gid, p["bob"], LATER)).threads[0].pinned
    await forum.set_pinned(older, p["convenor"], False, LATER)
    titles = [t.title for t in (await forum.forum_page(gid, p["bob"], LATER)).threads]
    assert titles == ["Newer", "Winding down"]
    actions = await AuditEvent.select(AuditEvent.action).where(AuditEvent.group == gid)
    assert [a["action"] for a in actions] == ["forum_pin", "forum_unpin"]


async def test_outsiders_cannot_read_write_or_search_anything_in_a_forum(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    carol = p["carol"]
    attempts = [
        forum.forum_page(gid, carol, NOW),
        forum.thread_page(tid, carol, NOW),
        forum.post_in_context(post_id, carol, NOW),
        forum.post_place(post_id, carol, NOW),
        forum.search(gid, carol, "night", NOW),
        forum.start_thread(gid, carol, {"title": "Hi", "body": "Let me in"}, NOW),
        forum.reply(tid, carol, {"body": "Let me in"}, NOW),
        forum.toggle_ack(post_id, carol, NOW),
        forum.report_post(post_id, carol, "Spam", NOW),
        forum.hide_post(post_id, carol, "No", NOW),
        forum.set_pinned(tid, carol, True, NOW),
        forum.reports_page(gid, carol, NOW),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt
    # Site roles add no rights inside a group.
    olga = await person("olga", role="organiser")
    with pytest.raises(NotFound):
        await forum.forum_page(gid, olga, NOW)
    # A missing id is the same answer as someone else's.
    with pytest.raises(NotFound):
        await forum.thread_page(tid + 999, p["bob"], NOW)


async def test_members_cannot_moderate_or_see_reports(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    for attempt in (
        forum.hide_post(post_id, p["dina"], "Because", NOW),
        forum.restore_post(post_id, p["dina"], NOW),
        forum.dismiss_reports(post_id, p["dina"], NOW),
        forum.reports_page(gid, p["dina"], NOW),
    ):
        with pytest.raises(NotFound):
            await attempt


async def test_a_former_member_reads_the_threads_they_posted_in_and_nothing_else(db: str) -> None:
    gid, p = await peers()
    theirs = await thread_with_posts(gid, p["convenor"])
    await forum.reply(theirs, p["dina"], {"body": "Me too"}, NOW)
    others = await forum.start_thread(gid, p["bob"], {"title": "Rota", "body": "Swaps?"}, NOW)
    await membership.leave(gid, p["dina"], LATER)

    page = await forum.thread_page(theirs, p["dina"], LATER)
    assert page.access.former and not page.access.can_write
    assert [t.id for t in (await forum.forum_page(gid, p["dina"], LATER)).threads] == [theirs]
    with pytest.raises(NotFound):
        await forum.thread_page(others, p["dina"], LATER)
    with pytest.raises(NotFound):
        await forum.reply(theirs, p["dina"], {"body": "Still here"}, LATER)
    mine = page.posts[1]
    assert mine.mine and not mine.can_edit and not mine.can_ack
    with pytest.raises(NotFound):
        await forum.edit_post(mine.id, p["dina"], "Changed", LATER)

    # Until the group ends.
    await Group.update({Group.status: "ended"}).where(Group.id == gid)
    with pytest.raises(NotFound):
        await forum.thread_page(theirs, p["dina"], LATER)


async def test_someone_removed_from_a_group_keeps_no_access(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    _, _, members = await groups.members_page(gid, p["convenor"], NOW)
    bob = next(m for m in members if m.name == "Person bob")
    await membership.remove_member(gid, p["convenor"], bob.membership_id, "Broke the rules", LATER)
    with pytest.raises(NotFound):
        await forum.thread_page(tid, p["bob"], LATER)


async def test_anonymous_labels_are_stable_in_a_thread_and_differ_between_authors(db: str) -> None:
    gid, p = await peers("staff_network")
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "Coming out at work", "body": "Scared", "anonymous": "true"}, NOW
    )
    await forum.reply(tid, p["dina"], {"body": "Same here", "anonymous": "true"}, NOW)
    await forum.reply(tid, p["convenor"], {"body": "You're not alone"}, NOW)
    await forum.reply(tid, p["bob"], {"body": "Thank you both", "anonymous": "true"}, NOW)
    await forum.reply(tid, p["dina"], {"body": "x", "anonymous": "true"}, NOW)
    expected = [
        "Anonymous member 1",
        "Anonymous member 2",
        "Person convenor",
        "Anonymous member 1",
        "Anonymous member 2",
    ]
    for reader in (p["convenor"], p["bob"], p["dina"]):
        assert await labels(tid, reader) == expected
    # Numbers start again in every thread, so they link nothing across threads.
    other = await forum.start_thread(
        gid, p["dina"], {"title": "Allies", "body": "Hi", "anonymous": "true"}, NOW
    )
    assert await labels(other, p["bob"]) == ["Anonymous member 1"]


async def test_no_view_of_an_anonymous_post_carries_who_wrote_it(db: str) -> None:
    gid, p = await peers("staff_network")
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "Quiet", "body": "Anon words", "anonymous": "true"}, NOW
    )
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    await forum.report_post(post_id, p["dina"], "Checking", NOW)
    bob = p["bob"]
    views = [
        asdict((await forum.thread_page(tid, p["convenor"], NOW)).posts[0]),
        asdict((await forum.post_in_context(post_id, p["dina"], NOW)).post),
        asdict((await forum.reports_page(gid, p["convenor"], NOW)).reported[0]),
    ]
    for view in views:
        text = repr(view)
        assert bob.display_name not in text and bob.email not in text
        assert "author" not in text
    assert views[0]["label"] == "Anonymous member 1" and not views[0]["mine"]
    notes = await Notification.select(Notification.text)
    assert all(bob.display_name not in n["text"] for n in notes)


async def test_the_author_can_edit_and_delete_their_own_anonymous_post(db: str) -> None:
    gid, p = await peers("reflective_forum")
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "A story", "body": "First", "anonymous": "true"}, NOW
    )
    place = await forum.reply(tid, p["bob"], {"body": "Second", "anonymous": "true"}, NOW)
    own = (await forum.thread_page(tid, p["bob"], NOW)).posts[1]
    assert own.mine and own.can_edit and own.label == "Anonymous member 1"
    assert own.own_text == "Second"
    assert (await forum.thread_page(tid, p["dina"], NOW)).posts[1].own_text == ""
    await forum.edit_post(place.post_id, p["bob"], "Second, better", LATER)
    assert (await forum.thread_page(tid, p["dina"], LATER)).posts[1].edited
    await forum.delete_post(place.post_id, p["bob"], LATER)
    assert (await forum.thread_page(tid, p["dina"], LATER)).posts[1].deleted


async def test_a_group_that_does_not_allow_anonymous_posts_refuses_them_beside_the_box(
    db: str,
) -> None:
    gid, p = await peers("peer_support")
    with pytest.raises(FormErrors) as e:
        await forum.start_thread(
            gid, p["bob"], {"title": "Hi", "body": "Hello", "anonymous": "true"}, NOW
        )
    assert e.value.errors["anonymous"].startswith("This group doesn't allow anonymous posts")
    assert await ForumThread.count() == 0


async def test_report_hide_and_restore_each_show_the_right_thing_to_each_person(db: str) -> None:
    gid, p = await peers("staff_network", name="Rainbow network")
    tid = await thread_with_posts(gid, p["convenor"])
    place = await forum.reply(tid, p["bob"], {"body": "Something unkind", "anonymous": "true"}, NOW)
    await forum.report_post(place.post_id, p["dina"], "It names someone", NOW)
    # Reporting again updates the one report.
    await forum.report_post(place.post_id, p["dina"], "It names a colleague", NOW)
    with pytest.raises(FormErrors):
        await forum.report_post(place.post_id, p["dina"], "  ", NOW)
    with pytest.raises(NotFound):
        await forum.report_post(place.post_id, p["bob"], "My own", NOW)

    reports = await forum.reports_page(gid, p["convenor"], NOW)
    assert [r.reasons for r in reports.reported] == [["It names a colleague"]]
    assert reports.reported[0].post.label == "Anonymous member 1"
    told = await Notification.select(Notification.user, Notification.text).where(
        Notification.text.like("%reported%")
    )
    assert [n["user"] for n in told] == [p["convenor"].id]
    assert "Rainbow" not in told[0]["text"]  # a discreet group is never named

    with pytest.raises(FormErrors):
        await forum.hide_post(place.post_id, p["convenor"], "", LATER)
    await forum.hide_post(place.post_id, p["convenor"], "Please don't name people", LATER)
    to_author = (await forum.thread_page(tid, p["bob"], LATER)).posts[1]
    assert to_author.hidden and "Something unkind" in to_author.body_html
    assert to_author.hidden_reason == "Please don't name people"
    to_others = (await forum.thread_page(tid, p["dina"], LATER)).posts[1]
    assert to_others.hidden and to_others.body_html == "" and to_others.hidden_reason == ""
    assert not to_others.can_ack and not to_others.can_report
    to_officer = (await forum.thread_page(tid, p["convenor"], LATER)).posts[1]
    assert "Something unkind" in to_officer.body_html and to_officer.can_moderate
    assert (await forum.reports_page(gid, p["convenor"], LATER)).reported == []

    await forum.restore_post(place.post_id, p["convenor"], LATER)
    again = (await forum.thread_page(tid, p["dina"], LATER)).posts[1]
    assert not again.hidden and "Something unkind" in again.body_html

    log = (await forum.reports_page(gid, p["convenor"], LATER)).log
    assert [e.action for e in log] == ["Restored a post", "Hid a post"]
    assert all(e.officer == "Person convenor" for e in log)
    assert "Please don't name people" in log[1].detail
    assert p["bob"].display_name not in repr(log)
    assert await AuditEvent.count().where(AuditEvent.action.like("forum_%")) == 2


async def test_dismissing_reports_keeps_the_post_and_is_logged(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    await forum.report_post(post_id, p["dina"], "Off topic", NOW)
    await forum.dismiss_reports(post_id, p["convenor"], LATER)
    page = await forum.reports_page(gid, p["convenor"], LATER)
    assert page.reported == [] and [e.action for e in page.log] == [
        "Dismissed the reports on a post"
    ]
    assert not (await forum.thread_page(tid, p["dina"], LATER)).posts[0].hidden


async def test_i_hear_you_toggles_and_counts_but_not_on_ones_own_post(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    await forum.toggle_ack(post_id, p["dina"], NOW)
    await forum.toggle_ack(post_id, p["convenor"], NOW)
    seen_by_dina = (await forum.thread_page(tid, p["dina"], NOW)).posts[0]
    assert seen_by_dina.acks == 2 and seen_by_dina.acked
    seen_by_bob = (await forum.thread_page(tid, p["bob"], NOW)).posts[0]
    assert seen_by_bob.acks == 2 and not seen_by_bob.acked and not seen_by_bob.can_ack
    await forum.toggle_ack(post_id, p["dina"], NOW)
    assert (await forum.thread_page(tid, p["dina"], NOW)).posts[0].acks == 1
    with pytest.raises(NotFound):
        await forum.toggle_ack(post_id, p["bob"], NOW)


async def test_unread_markers_count_others_posts_until_a_person_reads_them(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    assert (await forum.forum_page(gid, p["bob"], NOW)).threads[0].unread == 0
    assert (await forum.forum_page(gid, p["dina"], NOW)).threads[0].unread == 1
    first_visit = await forum.thread_page(tid, p["dina"], NOW)
    assert first_visit.posts[0].new
    assert (await forum.forum_page(gid, p["dina"], NOW)).threads[0].unread == 0
    await forum.reply(tid, p["bob"], {"body": "Anyone?"}, LATER)
    await forum.reply(tid, p["convenor"], {"body": "Yes"}, LATER)
    assert (await forum.forum_page(gid, p["dina"], LATER)).threads[0].unread == 2
    second_visit = await forum.thread_page(tid, p["dina"], LATER)
    assert [post.new for post in second_visit.posts] == [False, True, True]
    assert (await forum.forum_page(gid, p["dina"], LATER)).threads[0].unread == 0


async def test_twenty_concurrent_replies_all_land_in_order(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    writers = [p["bob"], p["dina"], p["convenor"]]

    async def write(n: int) -> None:
        await forum.reply(tid, writers[n % 3], {"body": f"Reply {n}"}, NOW + timedelta(seconds=n))

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(write, n)
    rows = await ForumPost.select(ForumPost.id, ForumPost.body).where(ForumPost.thread == tid)
    assert len(rows) == 21
    page = await forum.thread_page(tid, p["bob"], NOW)
    assert [post.id for post in page.posts] == sorted(r["id"] for r in rows)
    assert sorted(r["body"] for r in rows[1:]) == sorted(f"Reply {n}" for n in range(20))
    thread = await ForumThread.select(ForumThread.last_post_at).where(ForumThread.id == tid).first()
    # The latest time wins, whichever reply committed last.
    assert thread["last_post_at"] == NOW + timedelta(seconds=19)


async def test_search_finds_only_posts_the_searcher_may_read(db: str) -> None:
    gid, p = await peers()
    other_gid = await group_of("peer_support", p["carol"], name="Carol's group")
    await forum.start_thread(
        other_gid, p["carol"], {"title": "Shift", "body": "Handover notes"}, NOW
    )
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "Shift", "body": "Handover is hard"}, NOW
    )
    hidden = await forum.reply(tid, p["dina"], {"body": "Handover at 7am is worse"}, NOW)
    gone = await forum.reply(tid, p["dina"], {"body": "Handover rant, deleted"}, NOW)
    await forum.hide_post(hidden.post_id, p["convenor"], "Personal details", NOW)
    await forum.delete_post(gone.post_id, p["dina"], NOW)

    def found(page: forum.SearchPage) -> list[str]:
        return sorted(r.excerpt for r in page.results)

    assert found(await forum.search(gid, p["bob"], "handover", NOW)) == ["Handover is hard"]
    # Their own hidden post is found by its author, marked as hidden.
    dina = await forum.search(gid, p["dina"], "HANDOVER", NOW)
    assert found(dina) == ["Handover at 7am is worse", "Handover is hard"]
    assert [r.hidden for r in dina.results if "7am" in r.excerpt] == [True]
    assert not (await forum.search(gid, p["bob"], "   ", NOW)).searched
    # Typed wildcards are words, not patterns.
    assert (await forum.search(gid, p["bob"], "%", NOW)).results == []


async def test_search_by_a_former_member_covers_only_their_threads(db: str) -> None:
    gid, p = await peers()
    theirs = await forum.start_thread(gid, p["dina"], {"title": "A", "body": "Supervision"}, NOW)
    await forum.start_thread(gid, p["bob"], {"title": "B", "body": "Supervision again"}, NOW)
    await membership.leave(gid, p["dina"], LATER)
    results = (await forum.search(gid, p["dina"], "supervision", LATER)).results
    assert [r.thread_id for r in results] == [theirs]


async def test_a_new_thread_tells_every_other_member_and_plans_their_email(db: str) -> None:
    gid, p = await peers(name="Night shift peers")
    tid = await thread_with_posts(gid, p["bob"])
    post_id = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    notes = await Notification.select(Notification.user, Notification.text, Notification.link)
    assert sorted(n["user"] for n in notes) == sorted([p["convenor"].id, p["dina"].id])
    assert notes[0]["text"] == "New thread in Night shift peers: Winding down"
    assert notes[0]["link"] == f"/forum/threads/{tid}"
    keys = await Reminder.select(Reminder.key, Reminder.kind)
    assert sorted(k["key"] for k in keys) == sorted(
        f"forum:{post_id}:{who.id}" for who in (p["convenor"], p["dina"])
    )
    assert {k["kind"] for k in keys} == {"forum"}


async def test_a_reply_tells_the_threads_other_participants_only(db: str) -> None:
    gid, p = await peers()
    eve = await person("eve")
    await add(gid, eve)
    tid = await thread_with_posts(gid, p["bob"])
    await forum.reply(tid, p["dina"], {"body": "Me"}, NOW)
    await Notification.delete(force=True)
    await forum.reply(tid, p["convenor"], {"body": "And me"}, LATER)
    told = await Notification.select(Notification.user, Notification.text)
    assert sorted(n["user"] for n in told) == sorted([p["bob"].id, p["dina"].id])
    assert eve.id not in [n["user"] for n in told]


async def test_a_discreet_groups_notifications_carry_neither_its_name_nor_any_post(
    db: str,
) -> None:
    gid, p = await peers("staff_network", name="LGBTQI+ staff network")
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "Pride month", "body": "Plans?", "anonymous": "true"}, NOW
    )
    await forum.reply(tid, p["dina"], {"body": "Parade!"}, LATER)
    texts = [n["text"] for n in await Notification.select(Notification.text)]
    assert texts
    for text in texts:
        for secret in ("LGBTQI", "Pride", "Plans", "Parade", "Person bob", "Person dina"):
            assert secret not in text
    assert "New thread in a group you belong to" in texts
    assert "New reply in a thread you're in" in texts


async def test_hiding_or_deleting_a_post_voids_emails_not_yet_sent_about_it(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    reply = await forum.reply(tid, p["dina"], {"body": "Hmm"}, NOW)
    opening = (await forum.thread_page(tid, p["bob"], NOW)).posts[0].id
    await forum.hide_post(reply.post_id, p["convenor"], "Off topic", LATER)
    statuses = await Reminder.select(Reminder.key, Reminder.status)
    by_post = {r["key"].split(":")[1]: r["status"] for r in statuses}
    assert by_post[str(reply.post_id)] == "void"
    assert by_post[str(opening)] == "pending"


async def test_an_erased_account_reads_as_former_member_and_anonymous_stays_anonymous(
    db: str,
) -> None:
    gid, p = await peers("staff_network")
    tid = await thread_with_posts(gid, p["bob"])
    await forum.reply(tid, p["dina"], {"body": "Anon", "anonymous": "true"}, NOW)
    await forum.reply(tid, p["dina"], {"body": "Named"}, NOW)
    await membership.erase_account(p["dina"], LATER)
    await membership.erase_account(p["bob"], LATER)
    assert await labels(tid, p["convenor"]) == [
        "Former member",
        "Anonymous member 1",
        "Former member",
    ]


async def test_break_glass_reads_the_forum_but_anonymity_still_holds(db: str) -> None:
    gid, p = await peers("staff_network")
    adam = await person("adam", role="admin")
    tid = await forum.start_thread(
        gid, p["bob"], {"title": "Worry", "body": "Anon", "anonymous": "true"}, NOW
    )
    with pytest.raises(NotFound):
        await forum.thread_page(tid, adam, NOW)
    await break_glass(gid, adam.id, adam.display_name, "A safeguarding concern was raised", NOW)
    page = await forum.thread_page(tid, adam, NOW)
    assert page.posts[0].label == "Anonymous member 1"
    assert not page.access.can_write and not page.posts[0].can_report
    with pytest.raises(NotFound):
        await forum.reply(tid, adam, {"body": "Hello"}, NOW)


async def test_an_ended_groups_members_read_but_do_not_post(db: str) -> None:
    gid, p = await peers()
    tid = await thread_with_posts(gid, p["bob"])
    await Group.update({Group.status: "ended"}).where(Group.id == gid)
    page = await forum.thread_page(tid, p["dina"], NOW)
    assert not page.access.can_write
    with pytest.raises(NotFound):
        await forum.reply(tid, p["dina"], {"body": "Late"}, NOW)


async def test_threads_and_posts_page_in_order(db: str) -> None:
    gid, p = await peers()
    for n in range(forum.THREADS_PER_PAGE + 2):
        await forum.start_thread(
            gid, p["bob"], {"title": f"T{n}", "body": "x"}, NOW + timedelta(minutes=n)
        )
    first = await forum.forum_page(gid, p["dina"], LATER)
    second = await forum.forum_page(gid, p["dina"], LATER, page=2)
    assert first.has_more and not second.has_more
    titles = [t.title for t in first.threads + second.threads]
    assert titles == [f"T{n}" for n in reversed(range(forum.THREADS_PER_PAGE + 2))]

    tid = first.threads[0].id
    for n in range(forum.POSTS_PER_PAGE):
        last = await forum.reply(tid, p["dina"], {"body": f"r{n}"}, LATER)
    assert last.page == 2 and last.url.startswith(f"/forum/threads/{tid}?page=2#post-")
    one = await forum.thread_page(tid, p["bob"], LATER)
    two = await forum.thread_page(tid, p["bob"], LATER, page=2)
    assert one.has_more and not two.has_more
    assert [q.id for q in two.posts] == [last.post_id]


async def test_the_demo_seeds_forums_once_with_anonymous_posts_and_an_open_report(
    db: str,
) -> None:
    from app.services.accounts import get_account
    from app.services.demo import DEMO_THREADS, seed_demo

    await seed_demo(NOW)
    await seed_demo(NOW)
    assert await ForumThread.count() == len(DEMO_THREADS)
    assert await ForumPost.count() == sum(len(t.posts) for t in DEMO_THREADS)
    groups_with_threads = await ForumThread.select(ForumThread.group).distinct()
    assert len(groups_with_threads) >= 3

    network = await Group.select(Group.id).where(Group.name == "LGBTQI+ staff network").first()
    femi_row = await User.select(User.id).where(User.email == "femi@example.org").first()
    femi = await get_account(femi_row["id"])
    assert femi is not None
    listing = await forum.forum_page(network["id"], femi, NOW)
    page = await forum.thread_page(listing.threads[0].id, femi, NOW)
    assert [p.label for p in page.posts] == [
        "Anonymous member 1",
        "Anonymous member 2",
        "Femi Adebayo",
        "Anonymous member 1",
    ]

    stories = await Group.select(Group.id).where(Group.name == "Stories from practice").first()
    alice_row = await User.select(User.id).where(User.email == "alice@example.org").first()
    alice = await get_account(alice_row["id"])
    assert alice is not None
    reports = await forum.reports_page(stories["id"], alice, NOW)
    assert len(reports.reported) == 1 and "names a person" in reports.reported[0].reasons[0]


async def test_staff_networks_and_reflective_forums_allow_anonymous_posts_by_default(
    db: str,
) -> None:
    from datetime import date

    from app.domain.groups import defaults_for, parse_settings

    allowed = {
        kind: defaults_for(kind, date(2026, 1, 1)).anonymous_posts
        for kind in ("peer_support", "staff_network", "reflective_forum", "action_learning")
    }
    assert allowed == {
        "peer_support": False,
        "staff_network": True,
        "reflective_forum": True,
        "action_learning": False,
    }
    raw = {"name": "N", "ground_rules": "Be kind", "anonymous_posts": "true"}
    settings, errors = parse_settings("peer_support", raw)
    assert errors == {} and settings is not None and settings.anonymous_posts
