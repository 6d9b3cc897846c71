"""The forum's pages: plain forms and htmx fragments, who may see what, and anonymity."""

from __future__ import annotations

import re

import httpx

from app.db.tables import ForumPost, ForumThread
from app.services import forum, membership
from app.services.accounts import Account
from tests.conftest import MakeAccount, field_error, htmx_post, post_form, sign_in, text_of
from tests.services.groups_support import NOW, add, group_of

HX = {"HX-Request": "true"}


async def network(make_account: MakeAccount, kind: str = "staff_network") -> dict[str, object]:
    """Alice convenes; Bob and Dina belong; Carol does not."""
    alice = await make_account("alice@example.org", "Alice Ahmed")
    bob = await make_account("bob@example.org", "Bob Brown")
    dina = await make_account("dina@example.org", "Dina Daniels")
    await make_account("carol@example.org", "Carol Clarke")
    gid = await group_of(kind, alice, name="Rainbow network")
    await add(gid, bob, dina)
    return {"gid": gid, "alice": alice, "bob": bob, "dina": dina}


async def a_thread(g: dict[str, object], anonymous: bool = False) -> tuple[int, int]:
    bob = g["bob"]
    assert isinstance(bob, Account)
    values = {"title": "Being out at work", "body": "Has anyone found it *easier*?"}
    if anonymous:
        values["anonymous"] = "true"
    tid = await forum.start_thread(int(g["gid"]), bob, values, NOW)  # type: ignore[call-overload]
    post = await ForumPost.select(ForumPost.id).where(ForumPost.thread == tid).first()
    return tid, post["id"]


async def test_a_member_starts_a_thread_and_replies_with_plain_forms(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account, kind="peer_support")
    await sign_in(client, "bob@example.org")
    group_page = text_of((await client.get(f"/groups/{g['gid']}")).text)
    assert "Go to the forum" in group_page
    listing = await client.get(f"/groups/{g['gid']}/forum")
    assert listing.status_code == 200 and "No threads yet" in text_of(listing.text)
    assert 'name="anonymous"' not in listing.text  # this group does not allow it
    made = await post_form(
        client,
        f"/groups/{g['gid']}/forum",
        {"title": "Night handovers", "body": "What helps?\n\n- tea\n- a list"},
    )
    assert made.status_code == 303
    thread_url = made.headers["location"]
    page = await client.get(thread_url)
    assert "Your thread is posted." in text_of(page.text)
    assert "<li>tea</li>" in page.text and "Bob Brown" in text_of(page.text)
    replied = await post_form(client, f"{thread_url}/replies", {"body": "Me again"})
    assert replied.status_code == 303
    assert replied.headers["location"].startswith(f"{thread_url}#post-")
    listing = text_of((await client.get(f"/groups/{g['gid']}/forum")).text)
    assert "Night handovers" in listing and "1 reply" in listing


async def test_a_bad_thread_comes_back_422_beside_the_fields_with_the_text_kept(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account, kind="peer_support")
    await sign_in(client, "bob@example.org")
    url = f"/groups/{g['gid']}/forum"
    bad = await post_form(client, url, {"title": "", "body": "Words I typed <b>here</b>"})
    assert bad.status_code == 422
    assert field_error(bad.text, "title") == "Give your thread a title."
    assert "Words I typed &lt;b&gt;here&lt;/b&gt;" in bad.text
    in_place = await htmx_post(client, url, {"title": "Kept title", "body": ""})
    assert in_place.status_code == 422
    assert in_place.text.lstrip().startswith('<div id="new-thread">')
    assert field_error(in_place.text, "body") == "Write the first post of your thread."
    assert 'value="Kept title"' in in_place.text
    anonymous = await post_form(client, url, {"title": "T", "body": "B", "anonymous": "true"})
    assert anonymous.status_code == 422
    assert field_error(anonymous.text, "anonymous").startswith("This group doesn't allow")
    assert await ForumThread.count() == 0


async def test_a_bad_reply_comes_back_422_beside_the_field(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    await sign_in(client, "dina@example.org")
    plain = await post_form(client, f"/forum/threads/{tid}/replies", {"body": "  "})
    assert plain.status_code == 422 and field_error(plain.text, "body") == "Write your reply."
    too_long = "x" * 5001
    in_place = await htmx_post(client, f"/forum/threads/{tid}/replies", {"body": too_long})
    assert in_place.status_code == 422
    assert in_place.text.lstrip().startswith('<div id="reply">')
    assert field_error(in_place.text, "body").startswith("Use at most 5,000 characters")
    assert too_long in in_place.text


async def test_a_reply_with_htmx_clears_the_form_and_adds_the_post_to_the_thread(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    await sign_in(client, "dina@example.org")
    response = await htmx_post(client, f"/forum/threads/{tid}/replies", {"body": "Yes, slowly"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="reply">')
    assert "Your reply is posted." in text_of(response.text)
    assert 'hx-swap-oob="beforeend:#posts"' in response.text
    assert "Yes, slowly" in response.text
    assert "Dina Daniels" in text_of(response.text)


async def test_outsiders_get_404_on_every_forum_page_fragment_and_form(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g)
    gid = g["gid"]
    await sign_in(client, "carol@example.org")
    pages = [
        f"/groups/{gid}/forum",
        f"/groups/{gid}/forum?page=2",
        f"/groups/{gid}/forum/search?q=out",
        f"/groups/{gid}/forum/reports",
        f"/forum/threads/{tid}",
        f"/forum/posts/{pid}",
        f"/forum/posts/{pid}/edit",
        f"/forum/posts/{pid}/delete",
        f"/forum/posts/{pid}/report",
        f"/forum/posts/{pid}/hide",
    ]
    for url in pages:
        assert (await client.get(url)).status_code == 404, url
        assert (await client.get(url, headers=HX)).status_code == 404, url
    forms = {
        f"/groups/{gid}/forum": {"title": "Hi", "body": "Let me in"},
        f"/forum/threads/{tid}/replies": {"body": "Let me in"},
        f"/forum/threads/{tid}/pin": {"pinned": "true"},
        f"/forum/posts/{pid}/edit": {f"body-{pid}": "Mine now"},
        f"/forum/posts/{pid}/delete": {},
        f"/forum/posts/{pid}/ack": {},
        f"/forum/posts/{pid}/report": {f"report-{pid}": "Spam"},
        f"/forum/posts/{pid}/hide": {f"hide-{pid}": "No"},
        f"/forum/posts/{pid}/restore": {},
        f"/forum/posts/{pid}/dismiss": {},
    }
    for url, data in forms.items():
        assert (await post_form(client, url, data)).status_code == 404, url
        assert (await htmx_post(client, url, data)).status_code == 404, url
    page = await client.get(f"/forum/threads/{tid}")
    assert "Being out at work" not in page.text
    assert await ForumPost.count() == 1


async def test_members_get_404_for_the_reports_page_and_moderation(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g)
    await sign_in(client, "dina@example.org")
    assert (await client.get(f"/groups/{g['gid']}/forum/reports")).status_code == 404
    assert (await client.get(f"/forum/posts/{pid}/hide")).status_code == 404
    hide = await post_form(client, f"/forum/posts/{pid}/hide", {f"hide-{pid}": "No"})
    assert hide.status_code == 404
    assert (
        await post_form(client, f"/forum/threads/{tid}/pin", {"pinned": "true"})
    ).status_code == 404
    page = await client.get(f"/forum/threads/{tid}")
    assert "Pin this thread" not in page.text and "Hide" not in text_of(page.text)


async def test_an_anonymous_post_never_shows_who_wrote_it_on_any_page_or_fragment(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g, anonymous=True)
    bob = g["bob"]
    assert isinstance(bob, Account)
    await sign_in(client, "dina@example.org")
    await post_form(client, f"/forum/posts/{pid}/report", {f"report-{pid}": "Check this"})
    urls = [
        f"/groups/{g['gid']}/forum",
        f"/forum/threads/{tid}",
        f"/groups/{g['gid']}/forum/search?q=easier",
        f"/groups/{g['gid']}/forum/reports",
    ]
    for who in ("alice@example.org", "dina@example.org"):
        await sign_in(client, who)
        seen = [await client.get(url) for url in urls]
        seen.append(await client.get(f"/forum/posts/{pid}", headers=HX))
        seen.append(await htmx_post(client, f"/forum/posts/{pid}/ack", {}))
        for response in seen:
            if response.status_code == 404:
                continue  # the reports page, for a member
            assert bob.display_name not in response.text
            assert bob.email not in response.text
            assert "data-" not in response.text.split("<main", 1)[-1]
            assert not re.search(rf"(user|author|account)[^>]{{0,20}}\b{bob.id}\b", response.text)
    thread = text_of((await client.get(f"/forum/threads/{tid}")).text)
    assert "Anonymous member 1" in thread


async def test_the_anonymity_promise_and_its_limits_are_on_the_form(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    await sign_in(client, "dina@example.org")
    for url in (f"/groups/{g['gid']}/forum", f"/forum/threads/{tid}"):
        words = text_of((await client.get(url)).text)
        assert "Post anonymously" in words
        assert "not the group's convenors, not organisers and not administrators" in words
        assert "what you write, and when, can still identify you" in words


async def test_the_author_sees_their_anonymous_post_as_theirs_and_can_edit_it(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g, anonymous=True)
    await sign_in(client, "bob@example.org")
    page = await client.get(f"/forum/threads/{tid}")
    assert "Anonymous member 1 You" in text_of(page.text)
    form = await client.get(f"/forum/posts/{pid}/edit")
    assert form.status_code == 200 and "Has anyone found it *easier*?" in form.text
    in_place = await client.get(f"/forum/posts/{pid}/edit", headers=HX)
    assert in_place.text.lstrip().startswith(f'<li id="post-{pid}"')
    saved = await htmx_post(client, f"/forum/posts/{pid}/edit", {f"body-{pid}": "Easier now"})
    assert saved.status_code == 200
    words = text_of(saved.text)
    assert "Easier now" in words and "edited" in words and "Anonymous member 1" in words
    empty = await post_form(client, f"/forum/posts/{pid}/edit", {f"body-{pid}": ""})
    assert empty.status_code == 422
    assert field_error(empty.text, f"body-{pid}") == "Write something, or delete the post instead."
    await sign_in(client, "dina@example.org")
    assert (await client.get(f"/forum/posts/{pid}/edit")).status_code == 404
    assert "Edit" not in text_of((await client.get(f"/forum/threads/{tid}")).text)


async def test_deleting_asks_first_and_leaves_a_placeholder_in_a_conversation(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    dina = g["dina"]
    assert isinstance(dina, Account)
    place = await forum.reply(tid, dina, {"body": "Too much detail"}, NOW)
    await sign_in(client, "dina@example.org")
    confirm = await client.get(f"/forum/posts/{place.post_id}/delete")
    assert "Delete this post?" in text_of(confirm.text)
    done = await post_form(client, f"/forum/posts/{place.post_id}/delete", {})
    assert done.status_code == 303
    page = text_of((await client.get(done.headers["location"])).text)
    assert "Too much detail" not in page
    assert forum.DELETED_NOTICE in page


async def test_i_hear_you_works_in_place_and_as_a_plain_form(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g)
    await sign_in(client, "dina@example.org")
    pressed = await htmx_post(client, f"/forum/posts/{pid}/ack", {})
    assert pressed.status_code == 200
    assert pressed.text.lstrip().startswith(f'<li id="post-{pid}"')
    assert 'aria-pressed="true"' in pressed.text and "Heard by 1 person" in pressed.text
    assert f'id="ack-{pid}"' in pressed.text  # htmx puts focus back on the button
    await sign_in(client, "alice@example.org")
    plain = await post_form(client, f"/forum/posts/{pid}/ack", {})
    assert plain.status_code == 303
    page = await client.get(plain.headers["location"])
    assert "Heard by 2 people" in page.text
    await sign_in(client, "bob@example.org")
    own = await client.get(f"/forum/threads/{tid}")
    assert "Heard by 2 people" in own.text and f'id="ack-{pid}"' not in own.text


async def test_report_then_the_convenor_hides_and_restores_through_the_pages(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, pid = await a_thread(g, anonymous=True)
    gid = g["gid"]
    await sign_in(client, "dina@example.org")
    form = await client.get(f"/forum/posts/{pid}/report", headers=HX)
    assert f'name="report-{pid}"' in form.text
    empty = await htmx_post(client, f"/forum/posts/{pid}/report", {f"report-{pid}": ""})
    assert empty.status_code == 422 and field_error(empty.text, f"report-{pid}")
    sent = await htmx_post(
        client, f"/forum/posts/{pid}/report", {f"report-{pid}": "Names a person"}
    )
    assert "convenors will look at the post" in text_of(sent.text)
    assert "You reported this post." in text_of(sent.text)

    await sign_in(client, "alice@example.org")
    reports = await client.get(f"/groups/{gid}/forum/reports")
    words = text_of(reports.text)
    assert "Names a person" in words and "Anonymous member 1" in words
    assert "Dina" not in words  # reporters are not named
    missing = await post_form(
        client, f"/forum/posts/{pid}/hide", {f"hide-{pid}": "", "back": "reports"}
    )
    assert missing.status_code == 422
    assert field_error(missing.text, f"hide-{pid}").startswith("Give a reason")
    hidden = await post_form(
        client, f"/forum/posts/{pid}/hide", {f"hide-{pid}": "Please no names", "back": "reports"}
    )
    assert hidden.status_code == 303 and hidden.headers["location"].endswith("/forum/reports")
    log = text_of((await client.get(f"/groups/{gid}/forum/reports")).text)
    assert "No open reports." in log and "Hid a post" in log and "Alice Ahmed" in log

    await sign_in(client, "dina@example.org")
    others = text_of((await client.get(f"/forum/threads/{tid}")).text)
    assert forum.HIDDEN_NOTICE in others
    assert "easier" not in others and "Please no names" not in others
    await sign_in(client, "bob@example.org")
    author = text_of((await client.get(f"/forum/threads/{tid}")).text)
    assert "easier" in author and "Please no names" in author

    await sign_in(client, "alice@example.org")
    restored = await htmx_post(client, f"/forum/posts/{pid}/restore", {})
    assert "shown to members again" in text_of(restored.text)
    await sign_in(client, "dina@example.org")
    assert "easier" in text_of((await client.get(f"/forum/threads/{tid}")).text)


async def test_a_convenor_pins_a_thread_in_place(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    await sign_in(client, "alice@example.org")
    pinned = await htmx_post(client, f"/forum/threads/{tid}/pin", {"pinned": "true"})
    assert pinned.text.lstrip().startswith('<div id="thread-head">')
    assert "Pinned" in text_of(pinned.text) and "Unpin this thread" in pinned.text
    listing = text_of((await client.get(f"/groups/{g['gid']}/forum")).text)
    assert "Being out at work Pinned" in listing


async def test_more_threads_and_posts_load_in_place_or_by_a_plain_link(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account, kind="peer_support")
    bob, dina = g["bob"], g["dina"]
    assert isinstance(bob, Account) and isinstance(dina, Account)
    gid = int(g["gid"])  # type: ignore[call-overload]
    for n in range(forum.THREADS_PER_PAGE + 1):
        await forum.start_thread(gid, bob, {"title": f"Topic {n:02}", "body": "x"}, NOW)
    await sign_in(client, "dina@example.org")
    first = await client.get(f"/groups/{gid}/forum")
    assert f'href="/groups/{gid}/forum?page=2"' in first.text
    more = await client.get(f"/groups/{gid}/forum?page=2", headers=HX)
    assert "<html" not in more.text and "Topic 00" in more.text and "Topic 20" not in more.text
    plain = await client.get(f"/groups/{gid}/forum?page=2")
    assert "Back to the latest threads" in text_of(plain.text)
    assert (await client.get(f"/groups/{gid}/forum?page=bogus")).status_code == 200

    tid = (await forum.forum_page(gid, dina, NOW)).threads[0].id
    for n in range(forum.POSTS_PER_PAGE):
        await forum.reply(tid, bob, {"body": f"Reply number {n}"}, NOW)
    page = await client.get(f"/forum/threads/{tid}")
    assert "Show later posts" in page.text
    # With more to come, the reply form posts plainly and lands on the last page.
    assert 'hx-post="/forum/threads/' not in page.text.split('id="reply"')[1]
    later = await client.get(f"/forum/threads/{tid}?page=2", headers=HX)
    assert "Reply number 29" in later.text and "<html" not in later.text


async def test_search_works_as_a_page_and_in_place_and_finds_only_readable_posts(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    _, pid = await a_thread(g)
    alice = g["alice"]
    assert isinstance(alice, Account)
    await forum.hide_post(pid, alice, "Not here", NOW)
    other = await group_of("peer_support", alice, name="Other group")
    await forum.start_thread(other, alice, {"title": "Elsewhere", "body": "Easier said"}, NOW)
    await sign_in(client, "dina@example.org")
    plain = await client.get(f"/groups/{g['gid']}/forum/search?q=easier")
    assert plain.status_code == 200 and "0 posts found" in text_of(plain.text)
    await sign_in(client, "bob@example.org")
    in_place = await client.get(f"/groups/{g['gid']}/forum/search?q=easier", headers=HX)
    assert in_place.text.lstrip().startswith('<div id="results">')
    words = text_of(in_place.text)
    assert "1 post found" in words and "hidden by the convenors" in words
    assert "Elsewhere" not in words


async def test_a_former_member_reads_their_threads_without_a_reply_form(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account)
    tid, _ = await a_thread(g)
    alice, dina = g["alice"], g["dina"]
    assert isinstance(alice, Account) and isinstance(dina, Account)
    await forum.reply(tid, dina, {"body": "Me too"}, NOW)
    other = await forum.start_thread(int(g["gid"]), alice, {"title": "Other", "body": "x"}, NOW)  # type: ignore[call-overload]
    await membership.leave(int(g["gid"]), dina, NOW)  # type: ignore[call-overload]
    await sign_in(client, "dina@example.org")
    page = await client.get(f"/forum/threads/{tid}")
    assert page.status_code == 200
    assert "You have left this group" in text_of(page.text)
    assert 'id="reply"' not in page.text and "I hear you" not in page.text
    assert (await client.get(f"/forum/threads/{other}")).status_code == 404
    reply = await post_form(client, f"/forum/threads/{tid}/replies", {"body": "Back"})
    assert reply.status_code == 404


async def test_the_settings_form_offers_anonymous_posting_and_the_group_page_says_so(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    g = await network(make_account, kind="peer_support")
    await sign_in(client, "alice@example.org")
    form = await client.get(f"/groups/{g['gid']}/settings")
    assert 'name="anonymous_posts" value="true"' in form.text
    assert 'name="anonymous_posts" value="true" checked' not in form.text
    new_network = await client.get("/groups/new/staff_network")
    assert 'name="anonymous_posts" value="true" checked' in new_network.text
    assert "Posts show the member's name" in text_of((await client.get(f"/groups/{g['gid']}")).text)
    await sign_in(client, "carol@example.org")
    outsider = text_of((await client.get(f"/groups/{g['gid']}")).text)
    assert "Go to the forum" not in outsider


async def test_a_convenor_turns_anonymous_posting_on_in_the_groups_settings(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    from app.db.tables import Group
    from app.domain.groups import defaults_for

    g = await network(make_account, kind="peer_support")
    rules = defaults_for("peer_support", NOW.date()).ground_rules
    settings = {
        "name": "Rainbow network",
        "purpose": "",
        "visibility": "listed",
        "join_policy": "request",
        "member_list": "members",
        "capacity": "",
        "term_starts": "",
        "term_ends": "",
        "meets": "in_person",
        "ground_rules": rules,
        "facilitation": "rotating",
        "anonymous_posts": "true",
    }
    await sign_in(client, "alice@example.org")
    saved = await post_form(client, f"/groups/{g['gid']}/settings", settings)
    assert saved.status_code == 303
    row = await Group.select(Group.anonymous_posts).where(Group.id == g["gid"]).first()
    assert row["anonymous_posts"] is True
    page = text_of((await client.get(f"/groups/{g['gid']}")).text)
    assert "Members can post anonymously" in page
    await sign_in(client, "bob@example.org")
    assert 'name="anonymous"' in (await client.get(f"/groups/{g['gid']}/forum")).text
