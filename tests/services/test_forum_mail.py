"""Forum posts by email: what members are sent, what a discreet network's email never
carries, and that hidden posts and digests never leak a post's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.config import Settings
from app.db.tables import ForumPost, Reminder, ReminderPreference
from app.mail import MemoryMailer
from app.services import forum
from app.services.digests import plan_digests
from app.services.dispatch import dispatch
from tests.conftest import make_settings
from tests.services.groups_support import add, group_of, person

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WORDS = "I felt unheard at handover again and it is wearing me down"


@pytest.fixture
def mail_settings() -> Settings:
    return make_settings(SMTP_TIMEOUT="2", REMINDER_LEASE="30")


def bodies(message) -> str:  # type: ignore[no-untyped-def]
    return "".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


async def test_members_are_emailed_a_new_thread_with_its_title_and_opening_words(
    db: str, mail_settings: Settings
) -> None:
    convenor, reader = await person("c"), await person("r")
    gid = await group_of("peer_support", convenor, name="Night shift peers")
    await add(gid, reader)
    thread = await forum.start_thread(
        gid, convenor, {"title": "Handover worries", "body": WORDS, "anonymous": ""}, NOW
    )
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    [message] = mailer.outbox
    assert message["To"] == reader.email
    assert message["Subject"] == "New thread in Night shift peers"
    text = bodies(message)
    assert "Handover worries" in text and "unheard at handover" in text
    post = await ForumPost.select(ForumPost.id).where(ForumPost.thread == thread).first()
    assert f"http://testserver/forum/posts/{post['id']}" in text


async def test_an_anonymous_post_is_emailed_without_its_authors_name(
    db: str, mail_settings: Settings
) -> None:
    convenor, reader = await person("c"), await person("r")
    gid = await group_of("peer_support", convenor, name="Night shift peers", anonymous_posts=True)
    await add(gid, reader)
    await forum.start_thread(
        gid, convenor, {"title": "Hard week", "body": WORDS, "anonymous": "on"}, NOW
    )
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    [message] = mailer.outbox
    assert convenor.display_name not in bodies(message)
    assert "A member started a thread" in bodies(message)


async def test_a_discreet_networks_email_carries_neither_its_name_nor_the_post(
    db: str, mail_settings: Settings
) -> None:
    convenor, reader = await person("c"), await person("r")
    gid = await group_of(
        "staff_network", convenor, name="LGBTQI+ staff network", network="lgbtqi", discreet=True
    )
    await add(gid, reader)
    await forum.start_thread(
        gid, convenor, {"title": "Coming out at work", "body": WORDS, "anonymous": ""}, NOW
    )
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    [message] = mailer.outbox
    assert message["Subject"] == "New post in your group"
    everything = bodies(message) + "".join(str(v) for v in message.values())
    for secret in ("LGBT", "Coming out", "unheard", convenor.display_name):
        assert secret not in everything


async def test_a_post_hidden_before_its_email_goes_is_never_sent(
    db: str, mail_settings: Settings
) -> None:
    convenor, reader = await person("c"), await person("r")
    gid = await group_of("peer_support", convenor, name="Night shift peers")
    await add(gid, reader)
    thread = await forum.start_thread(
        gid, reader, {"title": "Rota rant", "body": WORDS, "anonymous": ""}, NOW
    )
    post = await ForumPost.select(ForumPost.id).where(ForumPost.thread == thread).first()
    await forum.hide_post(post["id"], convenor, "Names a colleague", NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW + timedelta(minutes=1), mailer, mail_settings)
    assert mailer.outbox == []
    assert await Reminder.count().where(Reminder.status == "sent") == 0


async def test_a_digest_lists_forum_news_without_a_title_or_a_word_of_the_post(
    db: str, mail_settings: Settings
) -> None:
    convenor, reader = await person("c"), await person("r")
    gid = await group_of("peer_support", convenor, name="Night shift peers")
    await add(gid, reader)
    await ReminderPreference.insert(
        ReminderPreference(user=reader.id, kind="forum", setting="digest")
    )
    await forum.start_thread(
        gid, convenor, {"title": "Handover worries", "body": WORDS, "anonymous": ""}, NOW
    )
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    assert mailer.outbox == []
    await plan_digests(NOW)
    await dispatch(datetime(2027, 1, 5, 7, 0, tzinfo=UTC), mailer, mail_settings)
    [digest] = mailer.outbox
    text = bodies(digest)
    assert "New thread in Night shift peers" in text
    assert "Handover worries" not in text and "unheard" not in text
