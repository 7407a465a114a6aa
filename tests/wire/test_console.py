"""The developer console (/_userpools/console) against a live server on SQLite and PostgreSQL, read with httpx:
the pools, a pool's clients, groups and users, a ListUsers filter, a user's attributes and groups, the outbox
with a sign-up code (the email's HTML served sandboxed, its text beside it). With admin credentials configured
every console path is a 404. One test looks at the pages in Debian's chromium and keeps screenshots."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, sign_in, unique
from browserkit import chromium, page, shoot

__all__ = ["chromium", "page"]  # the fixtures, used by name

CONSOLE = "/_userpools/console"
EMAIL_HTML = "<html><body><h1>Welcome</h1><p>Your code is <b>{####}</b>.</p></body></html>"


def text_of(response: httpx.Response) -> str:
    """The page's text, tags dropped and entities decoded (for assertions on what is shown)."""
    assert response.status_code == 200, response.text
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def make_pool(cognito: Any) -> dict[str, Any]:
    """A pool with an HTML verification email, a client, a group, two users (one in the group) and a sign-up."""
    name = unique("console-pool")
    pool_id = cognito.create_user_pool(
        PoolName=name, AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_CODE", "EmailMessage": EMAIL_HTML,
                                     "EmailSubject": "Your code"},
    )["UserPool"]["Id"]
    client = make_client(cognito, pool_id)
    group = unique("admins")
    cognito.create_group(UserPoolId=pool_id, GroupName=group, Description="The admins")
    ann = make_user(cognito, pool_id, unique("ann"), attributes={"email": "ann@example.com", "given_name": "Ann"})
    bob = make_user(cognito, pool_id, unique("bob"), attributes={"email": "bob@example.com"})
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=ann, GroupName=group)
    signed_up = unique("carol")
    cognito.sign_up(ClientId=client["ClientId"], Username=signed_up, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "carol@example.com"}])
    return {"name": name, "id": pool_id, "client": client, "group": group, "ann": ann, "bob": bob,
            "signed_up": signed_up}


def test_the_console_lists_pools_clients_groups_and_users(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    front = text_of(httpx.get(f"{server.url}{CONSOLE}/"))
    assert pool["name"] in front and pool["id"] in front
    shown = text_of(httpx.get(f"{server.url}{CONSOLE}/pools/{pool['id']}"))
    assert pool["client"]["ClientId"] in shown and pool["client"]["ClientName"] in shown
    assert pool["group"] in shown
    for username in (pool["ann"], pool["bob"], pool["signed_up"]):
        assert username in shown
    assert "UNCONFIRMED" in shown and "CONFIRMED" in shown


def test_the_user_search_takes_list_users_filters(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    url = f"{server.url}{CONSOLE}/pools/{pool['id']}"
    found = text_of(httpx.get(url, params={"filter": 'email ^= "ann@"'}))
    assert pool["ann"] in found and pool["bob"] not in found and pool["signed_up"] not in found
    unconfirmed = text_of(httpx.get(url, params={"filter": 'cognito:user_status = "UNCONFIRMED"'}))
    assert pool["signed_up"] in unconfirmed and pool["ann"] not in unconfirmed
    wrong = text_of(httpx.get(url, params={"filter": 'nickname = "x"'}))  # not a searchable attribute
    assert "InvalidParameterException" in wrong and pool["ann"] not in wrong


def test_a_user_page_shows_attributes_groups_devices_and_events(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    shown = text_of(httpx.get(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/{pool['ann']}"))
    assert "ann@example.com" in shown and "given_name" in shown and "Ann" in shown
    sub = cognito.admin_get_user(UserPoolId=pool["id"], Username=pool["ann"])["UserAttributes"]
    assert next(a["Value"] for a in sub if a["Name"] == "sub") in shown
    assert pool["group"] in shown and "Auth events" in shown and "Devices" in shown
    other = text_of(httpx.get(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/{pool['bob']}"))
    assert pool["group"] not in other.split("Groups", 1)[1].split("Devices", 1)[0]
    missing = httpx.get(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/nobody-here")
    assert missing.status_code == 404 and "UserNotFoundException" in missing.text


def test_the_outbox_shows_the_sign_up_code_as_html_and_text(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    code = latest_code(server, pool["id"], pool["signed_up"])
    response = httpx.get(f"{server.url}{CONSOLE}/outbox", params={"pool": pool["id"]})
    shown = text_of(response)
    assert code in shown and "carol@example.com" in shown and f"Your code is {code}." in shown
    assert "script" not in response.headers["content-security-policy"]
    frames = re.findall(r'<iframe sandbox[^>]* src="([^"]+)"', response.text)
    assert len(frames) == 1
    email = httpx.get(f"{server.url}{html.unescape(frames[0])}")
    assert email.status_code == 200 and f"<b>{code}</b>" in email.text
    assert email.headers["content-security-policy"].startswith("sandbox;")
    assert "frame-ancestors 'self'" in email.headers["content-security-policy"]


def test_with_admin_credentials_the_console_is_not_there(server_factory: Any) -> None:
    secured = server_factory("sqlite", extra_args=["--admin-credentials",
                                                   "AKIAUSERPOOLSADMIN01:s3cr3t/for+the+admin+calls0123456789abcd"])
    for path in ("/", "/outbox", "/pools/us-east-1_abc", "/pools/us-east-1_abc/users/ann"):
        response = httpx.get(f"{secured.url}{CONSOLE}{path}")
        assert response.status_code == 404, path
        assert response.json()["__type"] == "ResourceNotFoundException"


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_console_in_a_browser(server: Any, cognito: Any, page: Any) -> None:
    pool = make_pool(cognito)
    code = latest_code(server, pool["id"], pool["signed_up"])
    page.goto(f"{server.url}{CONSOLE}/")
    page.get_by_role("link", name=pool["name"]).click()
    page.get_by_label("ListUsers filter").fill('email ^= "ann@"')
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name=pool["ann"]).is_visible()
    assert page.get_by_role("link", name=pool["bob"]).count() == 0
    shoot(page, "console-pool")
    page.get_by_role("link", name=pool["ann"]).click()
    assert page.locator("#attributes").get_by_text("ann@example.com").is_visible()
    assert page.locator("#groups").get_by_text(pool["group"]).is_visible()
    shoot(page, "console-user")
    page.get_by_role("link", name="the pool's messages").click()
    assert page.get_by_text(f"Your code is {code}.").first.is_visible()
    frame = page.frame_locator("iframe").first
    assert frame.locator("b").inner_text() == code  # the HTML as the recipient's mail reader shows it
    shoot(page, "console-outbox")


def test_an_sms_and_a_plain_text_email_are_shown_as_sent(server: Any, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("console-sms"), AutoVerifiedAttributes=["phone_number"],
                                       UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    cognito.sign_up(ClientId=client_id, Username="dan@example.com", Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "dan@example.com"},
                                    {"Name": "phone_number", "Value": "+15555550123"}])
    other = cognito.create_user_pool(PoolName=unique("console-text"), AutoVerifiedAttributes=["email"])
    other_client = make_client(cognito, other["UserPool"]["Id"])["ClientId"]
    erin = unique("erin")
    cognito.sign_up(ClientId=other_client, Username=erin, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "erin@example.com"}])
    sms = httpx.get(f"{server.url}{CONSOLE}/outbox", params={"pool": pool_id})
    shown = text_of(sms)
    assert "SMS to" in shown and "+15555550123" in shown and "<iframe" not in sms.text
    sent = cognito.admin_get_user(UserPoolId=pool_id, Username="dan@example.com")["Username"]
    assert latest_code(server, pool_id, sent) in shown
    plain = httpx.get(f"{server.url}{CONSOLE}/outbox", params={"pool": other["UserPool"]["Id"]})
    assert "erin@example.com" in text_of(plain) and "<iframe" not in plain.text
    assert latest_code(server, other["UserPool"]["Id"], erin) in text_of(plain)


def test_values_are_escaped_and_unknown_things_are_404s(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    hostile = "<img src=x onerror=alert(1)>"
    cognito.admin_update_user_attributes(UserPoolId=pool["id"], Username=pool["bob"],
                                         UserAttributes=[{"Name": "given_name", "Value": hostile}])
    page_html = httpx.get(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/{pool['bob']}").text
    assert hostile not in page_html and html.escape(hostile, quote=False) in page_html
    for path in ("/pools/us-east-1_nothere00", "/pools/%3Cscript%3E", f"/pools/{pool['id']}/users/a/b",
                 f"/outbox/{pool['id']}/0000"):
        assert httpx.get(f"{server.url}{CONSOLE}{path}").status_code == 404, path


def test_a_user_page_lists_the_auth_events_of_threat_protection(server: Any, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("console-audit"),
                                       UserPoolTier="PLUS",
                                       UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    username = make_user(cognito, pool_id, unique("fay"))
    sign_in(cognito, client_id, username)
    events = cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=username)["AuthEvents"]
    assert events
    shown = text_of(httpx.get(f"{server.url}{CONSOLE}/pools/{pool_id}/users/{username}"))
    section = shown.split("Auth events", 1)[1]
    assert events[0]["EventType"] in section and events[0]["EventResponse"] in section
    assert "UserPoolAddOnNotEnabledException" not in section
