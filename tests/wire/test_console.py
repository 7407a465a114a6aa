"""The developer console (/_userpools/console) against a live server on SQLite and PostgreSQL, read with httpx:
the pools, a pool's clients, groups and users, a ListUsers filter, a user's attributes and groups, the outbox
with a sign-up code (the email's HTML served sandboxed, its text beside it), the trigger invocations with their
events and answers; the admin actions (through the API's operations: its errors, its rules), their CSRF
protection; with admin credentials configured, HTTP Basic with them or 401, and no outbox or trigger page.
Two tests use the pages in Debian's chromium and keep screenshots."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, sign_in, unique
from browserkit import chromium, page, shoot
from playwright.sync_api import expect

from conftest import BACKENDS

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


ADMIN_KEY = "AKIAUSERPOOLSADMIN01"
ADMIN_SECRET = "s3cr3t/for+the+admin+calls0123456789abcd"


def test_with_admin_credentials_the_console_refuses_without_them(server_factory: Any) -> None:
    secured = server_factory("sqlite", extra_args=["--admin-credentials", f"{ADMIN_KEY}:{ADMIN_SECRET}"])
    for path in ("/", "/pools/us-east-1_abc", "/pools/us-east-1_abc/users/ann", "/outbox", "/triggers"):
        for auth in (None, (ADMIN_KEY, "wrong-secret"), ("AKIAOTHER", ADMIN_SECRET)):
            response = httpx.get(f"{secured.url}{CONSOLE}{path}", auth=auth)
            assert response.status_code == 401, (path, auth)
            assert response.headers["www-authenticate"].startswith('Basic realm="userpools console"')
            assert ADMIN_SECRET not in response.text
        refused = httpx.post(f"{secured.url}{CONSOLE}{path}", data={"action": "delete"})
        assert refused.status_code in (401, 405), path
    with httpx.Client(base_url=f"{secured.url}{CONSOLE}", auth=(ADMIN_KEY, ADMIN_SECRET)) as admin:
        assert admin.get("/").status_code == 200
        for development_only in ("/outbox", "/triggers", "/outbox/us-east-1_abc/0000"):  # codes, events
            assert admin.get(development_only).status_code == 404, development_only
        # The admin actions work with the credentials, through the API's operations.
        cognito = secured.client(aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET)
        pool_id = cognito.create_user_pool(PoolName="secured")["UserPool"]["Id"]
        page_html = admin.get(f"/pools/{pool_id}").text
        assert "Outbox" not in page_html and "Admin (HTTP Basic" in page_html
        response = admin.post(f"/pools/{pool_id}", data={
            "_csrf": csrf_of(page_html), "action": "create-user", "username": "gil", "email": "gil@example.com"})
        assert response.status_code == 303
        assert cognito.admin_get_user(UserPoolId=pool_id, Username="gil")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def csrf_of(page_html: str) -> str:
    return html.unescape(re.search(r'name="_csrf" value="([^"]+)"', page_html).group(1))  # type: ignore[union-attr]


def act(console: httpx.Client, path: str, **form: str) -> httpx.Response:
    """A console form sent as the browser sends it: the page first (its CSRF cookie and field), then the POST."""
    token = csrf_of(console.get(path).text)
    return console.post(path, data={"_csrf": token, **form})


def test_admin_actions_go_through_the_api_operations(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    pid = pool["id"]
    with httpx.Client(base_url=f"{server.url}{CONSOLE}") as console:
        created = act(console, f"/pools/{pid}", action="create-user", username="hal", email="hal@example.com",
                      email_verified="on", temporary_password="Temp-passw0rd!")
        assert created.status_code == 303 and created.headers["location"].endswith("?done=User+created.")
        hal = cognito.admin_get_user(UserPoolId=pid, Username="hal")
        assert hal["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        assert {"Name": "email_verified", "Value": "true"} in hal["UserAttributes"]
        # The API's rules and errors: a taken username, a password the policy refuses, an unknown group.
        taken = act(console, f"/pools/{pid}", action="create-user", username="hal")
        assert taken.status_code == 400 and "UsernameExistsException: User account already exists" in text_of_any(taken)
        # The API's input validation too (the botocore shape): what a hand-made form could send.
        empty = act(console, f"/pools/{pid}", action="create-user", username="")
        assert empty.status_code == 400
        assert "InvalidParameterException: 2 validation errors detected: Value at 'username' failed to satisfy " \
            "constraint: Member must have length greater than or equal to 1" in text_of_any(empty)
        user_path = f"/pools/{pid}/users/hal"
        weak = act(console, user_path, action="set-password", password="short", permanent="on")
        assert weak.status_code == 400 and "InvalidPasswordException" in text_of_any(weak)
        nowhere = act(console, user_path, action="add-to-group", group="no-such-group")
        assert nowhere.status_code == 400 and "ResourceNotFoundException: Group not found." in text_of_any(nowhere)

        assert act(console, user_path, action="set-password", password="Perm-passw0rd!", permanent="on").status_code == 303
        assert cognito.admin_get_user(UserPoolId=pid, Username="hal")["UserStatus"] == "CONFIRMED"
        tokens = cognito.initiate_auth(ClientId=pool["client"]["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": "hal", "PASSWORD": "Perm-passw0rd!"})
        assert act(console, user_path, action="add-to-group", group=pool["group"]).status_code == 303
        assert [g["GroupName"] for g in cognito.admin_list_groups_for_user(UserPoolId=pid, Username="hal")["Groups"]] \
            == [pool["group"]]
        assert act(console, user_path, action="remove-from-group", group=pool["group"]).status_code == 303
        assert cognito.admin_list_groups_for_user(UserPoolId=pid, Username="hal")["Groups"] == []
        assert act(console, user_path, action="sign-out").status_code == 303
        with pytest.raises(cognito.exceptions.NotAuthorizedException):
            cognito.get_user(AccessToken=tokens["AuthenticationResult"]["AccessToken"])
        assert act(console, user_path, action="disable").status_code == 303
        assert cognito.admin_get_user(UserPoolId=pid, Username="hal")["Enabled"] is False
        assert act(console, user_path, action="enable").status_code == 303
        assert cognito.admin_get_user(UserPoolId=pid, Username="hal")["Enabled"] is True
        assert act(console, user_path, action="reset-password").status_code == 303
        assert cognito.admin_get_user(UserPoolId=pid, Username="hal")["UserStatus"] == "RESET_REQUIRED"

        carol_path = f"/pools/{pid}/users/{pool['signed_up']}"
        assert act(console, carol_path, action="confirm-sign-up").status_code == 303
        assert cognito.admin_get_user(UserPoolId=pid, Username=pool["signed_up"])["UserStatus"] == "CONFIRMED"
        again = act(console, carol_path, action="confirm-sign-up")  # the API's own answer to a second one
        assert again.status_code == 400 and "NotAuthorizedException" in text_of_any(again)

        deleted = act(console, user_path, action="delete")
        assert deleted.status_code == 303 and deleted.headers["location"].endswith(f"/pools/{pid}?done=User+deleted.")
        with pytest.raises(cognito.exceptions.UserNotFoundException):
            cognito.admin_get_user(UserPoolId=pid, Username="hal")


def text_of_any(response: httpx.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def test_a_form_without_its_csrf_token_or_from_another_site_changes_nothing(server: Any, cognito: Any) -> None:
    pool = make_pool(cognito)
    user_path = f"{server.url}{CONSOLE}/pools/{pool['id']}/users/{pool['bob']}"
    with httpx.Client() as browser:
        token = csrf_of(browser.get(user_path).text)
        no_token = browser.post(user_path, data={"action": "disable"})
        wrong = browser.post(user_path, data={"action": "disable", "_csrf": "x" * 43})
        elsewhere = browser.post(user_path, data={"action": "disable", "_csrf": token},
                                 headers={"Origin": "https://attacker.example"})
    no_cookie = httpx.post(user_path, data={"action": "disable", "_csrf": token})  # a form posted from another site
    for refused in (no_token, wrong, elsewhere, no_cookie):
        assert refused.status_code == 403 and "came from another site" in text_of_any(refused)
    assert cognito.admin_get_user(UserPoolId=pool["id"], Username=pool["bob"])["Enabled"] is True
    cookie = httpx.get(user_path).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/_userpools/console" in cookie


@pytest.fixture(scope="module")
def trigger_server(request: pytest.FixtureRequest, server_factory: Any,
                   tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = tmp_path_factory.mktemp("console-triggers")
    config = directory / "userpools.toml"
    config.write_text(f'[functions."{TRIGGER_ARN}"]\ncallable = "trigger_functions:record"\n')
    return server_factory(request.param, extra_args=["--config", str(config)],
                          env={"PYTHONPATH": str(Path(__file__).parent)})


TRIGGER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:console-record"


@pytest.mark.parametrize("trigger_server", BACKENDS, indirect=True)
def test_the_trigger_invocations_page_shows_events_and_answers(trigger_server: Any) -> None:
    cognito = trigger_server.client()
    pool_id = cognito.create_user_pool(PoolName=unique("console-triggers"), AutoVerifiedAttributes=["email"],
                                       LambdaConfig={"PreSignUp": TRIGGER_ARN})["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = unique("ivy")
    cognito.sign_up(ClientId=client_id, Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "ivy@example.com"}])
    response = httpx.get(f"{trigger_server.url}{CONSOLE}/triggers", params={"pool": pool_id})
    shown = text_of(response)
    assert "PreSignUp_SignUp" in shown and TRIGGER_ARN in shown and "answered" in shown
    assert f'"userName": "{name}"' in shown and '"autoConfirmUser": false' in shown  # the event, the answer
    assert PASSWORD not in shown
    other = text_of(httpx.get(f"{trigger_server.url}{CONSOLE}/triggers", params={"pool": "us-east-1_Other0001"}))
    assert "No trigger was called yet." in other


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
    assert page.locator("#groups").get_by_text(pool["group"], exact=True).is_visible()
    shoot(page, "console-user")
    page.get_by_role("link", name="the pool's messages").click()
    assert page.get_by_text(f"Your code is {code}.").first.is_visible()
    frame = page.frame_locator("iframe").first
    assert frame.locator("b").inner_text() == code  # the HTML as the recipient's mail reader shows it
    shoot(page, "console-outbox")


@pytest.mark.parametrize("trigger_server", ["sqlite"], indirect=True)
def test_the_trigger_invocations_in_a_browser(trigger_server: Any, page: Any) -> None:
    cognito = trigger_server.client()
    pool_id = cognito.create_user_pool(PoolName=unique("console-triggers"), AutoVerifiedAttributes=["email"],
                                       LambdaConfig={"PreSignUp": TRIGGER_ARN})["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    cognito.sign_up(ClientId=client_id, Username=unique("kim"), Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "kim@example.com"}])
    page.goto(f"{trigger_server.url}{CONSOLE}/pools/{pool_id}")
    page.get_by_role("link", name="this pool's trigger invocations").click()
    invocation = page.locator("article").first
    expect(invocation).to_contain_text("PreSignUp_SignUp")
    expect(invocation.locator("pre").first).to_contain_text('"triggerSource": "PreSignUp_SignUp"')
    expect(invocation.locator("pre").nth(1)).to_contain_text('"autoConfirmUser": false')
    shoot(page, "console-triggers")


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_admin_actions_in_a_browser(server: Any, cognito: Any, page: Any) -> None:
    pool = make_pool(cognito)
    page.goto(f"{server.url}{CONSOLE}/pools/{pool['id']}")
    form = page.get_by_role("form", name="Create a user")
    form.get_by_label("Username").fill("jo")
    form.get_by_label("Email", exact=True).fill("jo@example.com")
    form.get_by_label("Email verified").check()  # AdminResetUserPassword needs somewhere to send the code
    form.get_by_label("Temporary password").fill("Temp-passw0rd!")
    form.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text("User created.")
    assert page.locator("#attributes").get_by_text("jo@example.com").is_visible()
    shoot(page, "console-user-created")

    password = page.get_by_role("form", name="Set password")
    password.get_by_label("New password").fill("short")
    password.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("InvalidPasswordException: ")  # the API's message
    shoot(page, "console-action-error")
    page.get_by_role("form", name="Set password").get_by_label("New password").fill("Perm-passw0rd!")
    page.get_by_role("form", name="Set password").get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_have_text("Password set.")
    assert cognito.admin_get_user(UserPoolId=pool["id"], Username="jo")["UserStatus"] == "CONFIRMED"

    page.get_by_role("form", name="Add to group").get_by_label("Group").select_option(pool["group"])
    page.get_by_role("button", name="Add to group").click()
    expect(page.get_by_role("status")).to_have_text("Added to the group.")
    assert page.locator("#groups").get_by_text(pool["group"], exact=True).is_visible()
    page.get_by_role("button", name="Disable user").click()
    expect(page.get_by_role("status")).to_have_text("User disabled.")
    assert page.get_by_text("disabled", exact=True).is_visible()
    shoot(page, "console-user-disabled")
    page.get_by_role("button", name="Enable user").click()
    expect(page.get_by_role("status")).to_have_text("User enabled.")
    page.get_by_role("button", name="Sign out globally").click()
    expect(page.get_by_role("status")).to_contain_text("Signed out everywhere")
    page.get_by_role("button", name=f"Remove from {pool['group']}").click()
    expect(page.get_by_role("status")).to_have_text("Removed from the group.")
    assert cognito.admin_list_groups_for_user(UserPoolId=pool["id"], Username="jo")["Groups"] == []
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("status")).to_contain_text("Password reset")
    assert cognito.admin_get_user(UserPoolId=pool["id"], Username="jo")["UserStatus"] == "RESET_REQUIRED"

    page.goto(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/{pool['signed_up']}")
    page.get_by_role("button", name="Confirm sign-up").click()
    expect(page.get_by_role("status")).to_have_text("Sign-up confirmed.")
    page.goto(f"{server.url}{CONSOLE}/pools/{pool['id']}/users/jo")
    page.get_by_role("button", name="Delete user").click()
    expect(page.get_by_role("status")).to_have_text("User deleted.")
    assert page.get_by_role("link", name="jo", exact=True).count() == 0
    shoot(page, "console-user-deleted")


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
