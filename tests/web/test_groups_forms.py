from __future__ import annotations

import re

import httpx

from app.db.tables import Group
from tests.conftest import field_error, htmx_post, post_form, sign_in, text_of
from tests.services.groups_support import add, group_of

NETWORK_FORM = {
    "name": "Carers' network",
    "purpose": "For staff who care for someone at home.",
    "network": "carers",
    "meets": "online",
    "visibility": "listed",
    "join_policy": "open",
    "member_list": "officers",
    "capacity": "",
    "term_starts": "",
    "term_ends": "",
    "facilitation": "rotating",
    "discreet": "true",
    "ground_rules": "What is said here stays here.",
}


async def test_setting_up_a_network_makes_the_person_its_convenor(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("alice@example.org", "Alice")
    await sign_in(client, "alice@example.org")
    form = await client.get("/groups/new/staff_network")
    assert '<option value="carers"' in form.text
    assert 'name="discreet" value="true" checked' in form.text
    response = await post_form(client, "/groups/new/staff_network", NETWORK_FORM)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    words = text_of(page.text)
    assert "You are a convenor of this group." in words
    assert "Your group is set up, and you are its convenor." in words


async def test_bad_group_settings_come_back_beside_the_fields_with_everything_typed(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("alice@example.org")
    await sign_in(client, "alice@example.org")
    bad = {**NETWORK_FORM, "name": "", "capacity": "3", "purpose": "Kept purpose"}
    response = await post_form(client, "/groups/new/staff_network", bad)
    assert response.status_code == 422
    assert field_error(response.text, "name") == "Give the group a name people will recognise."
    assert field_error(response.text, "capacity").startswith(
        "A staff network's limit must be at least 5"
    )
    assert "Kept purpose" in response.text
    assert 'value="3"' in response.text
    assert await Group.count() == 0


async def test_an_unknown_kind_of_group_is_not_found(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("alice@example.org")
    await sign_in(client, "alice@example.org")
    assert (await client.get("/groups/new/book_club")).status_code == 404


async def test_joining_with_htmx_swaps_in_the_membership_panel(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    await make_account("bob@example.org")
    gid = await group_of("reflective_forum", alice, name="Stories")
    await sign_in(client, "bob@example.org")
    refused = await htmx_post(client, f"/groups/{gid}/join", {})
    assert refused.status_code == 422
    assert "<html" not in refused.text
    assert (
        field_error(refused.text, "accept_rules")
        == "Read the ground rules and tick the box to accept them."
    )
    joined = await htmx_post(client, f"/groups/{gid}/join", {"accept_rules": "true"})
    assert joined.status_code == 200
    assert joined.text.lstrip().startswith('<div id="membership-panel">')
    assert "You have joined Stories." in joined.text
    assert "Leave this group" in joined.text


async def test_joining_without_javascript_redirects_back_with_a_message(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    await make_account("bob@example.org")
    gid = await group_of("reflective_forum", alice, name="Stories")
    await sign_in(client, "bob@example.org")
    response = await post_form(client, f"/groups/{gid}/join", {"accept_rules": "true"})
    assert response.status_code == 303
    assert "You have joined Stories." in text_of((await client.get(f"/groups/{gid}")).text)


async def test_a_full_group_says_so_instead_of_offering_to_join(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    bob = await make_account("bob@example.org")
    await make_account("carol@example.org")
    gid = await group_of("reflective_forum", alice, capacity=2)
    await add(gid, bob)
    await sign_in(client, "carol@example.org")
    page = await client.get(f"/groups/{gid}")
    assert "This group is full" in text_of(page.text)
    response = await post_form(client, f"/groups/{gid}/join", {"accept_rules": "true"})
    assert response.status_code == 409
    assert "This group is full, so no one else can join" in text_of(response.text)


async def test_a_request_without_the_rules_accepted_keeps_the_message(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    await make_account("bob@example.org")
    gid = await group_of("peer_support", alice)
    await sign_in(client, "bob@example.org")
    response = await post_form(client, f"/groups/{gid}/request", {"message": "I work nights"})
    assert response.status_code == 422
    assert "I work nights" in response.text
    assert field_error(response.text, "accept_rules")


async def test_the_directory_filters_by_kind_and_serves_a_fragment_to_htmx(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    await group_of("peer_support", alice, name="Peers")
    await group_of("staff_network", alice, name="Network")
    await group_of("action_learning", alice, name="Hidden set")
    await sign_in(client, "alice@example.org")
    full = await client.get("/groups")
    assert "Peers" in full.text and "Network" in full.text and "Hidden set" not in full.text
    fragment = await client.get("/groups?kind=staff_network", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "Network" in fragment.text and "Peers" not in fragment.text
    assert re.search(r"1 group found", fragment.text)
    searched = await client.get("/groups?q=peer")
    assert "Peers" in searched.text and ">Network<" not in searched.text


async def test_a_convenor_declining_a_request_with_too_long_a_message_keeps_it(
    client: httpx.AsyncClient, make_account
) -> None:
    from app.services import membership

    alice = await make_account("alice@example.org")
    bob = await make_account("bob@example.org")
    gid = await group_of("peer_support", alice)
    from tests.services.groups_support import NOW

    await membership.request_to_join(gid, bob, "", True, NOW)
    await sign_in(client, "alice@example.org")
    page = await client.get(f"/groups/{gid}/requests")
    rid = re.search(rf"/groups/{gid}/requests/(\d+)", page.text).group(1)
    long = "x" * 1001
    response = await post_form(
        client, f"/groups/{gid}/requests/{rid}", {"decision": "decline", f"message-{rid}": long}
    )
    assert response.status_code == 422
    assert field_error(response.text, f"message-{rid}") == "Use at most 1000 characters."
    assert long in response.text
    done = await post_form(
        client, f"/groups/{gid}/requests/{rid}", {"decision": "approve", f"message-{rid}": "Hi"}
    )
    assert done.status_code == 303
    assert "has joined the group" in text_of((await client.get(done.headers["location"])).text)


async def test_deleting_an_account_needs_the_password_and_signs_out(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    wrong = await post_form(client, "/account/delete", {"password": "nope"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "password") == "That isn't your password."
    from tests.conftest import TEST_PASSWORD

    done = await post_form(client, "/account/delete", {"password": TEST_PASSWORD})
    assert done.status_code == 303
    assert "Your account has been deleted" in text_of((await client.get("/")).text)
    assert (await client.get("/account/profile")).status_code == 303


async def test_leaving_a_listed_group_with_htmx_swaps_the_panel_and_an_unlisted_one_goes_home(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    bob = await make_account("bob@example.org")
    listed = await group_of("reflective_forum", alice, name="Stories")
    hidden = await group_of("action_learning", alice, name="Set")
    await add(listed, bob)
    await add(hidden, bob)
    await sign_in(client, "bob@example.org")
    response = await htmx_post(client, f"/groups/{listed}/leave", {})
    assert "You have left Stories." in response.text
    assert "Join this group" in response.text
    response = await htmx_post(client, f"/groups/{hidden}/leave", {})
    assert response.headers["HX-Redirect"] == "/"
    assert (await client.get(f"/groups/{hidden}")).status_code == 404
