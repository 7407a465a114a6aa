"""Passkeys with a real authenticator: Chromium's virtual authenticator (DevTools WebAuthn domain, Debian's
chromium driven by Playwright) creates and uses the credential in a page on http://localhost (a secure
context); boto3 carries the options and answers. StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials, DeleteWebAuthnCredential, the WEB_AUTHN challenge of USER_AUTH, the signature
counter, and the errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, unique
from botocore.exceptions import ClientError
from browserkit import chromium
from test_pools import error_of
from test_user_auth import FLOWS, passwordless_pool, respond, user_auth

__all__ = ["chromium"]  # the fixture, used by name

CREATE = """async (options) => {
  const credential = await navigator.credentials.create(
      {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  return credential.toJSON();
}"""
GET = """async (options) => {
  const credential = await navigator.credentials.get(
      {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  return credential.toJSON();
}"""


class Authenticator:
    """A browser tab on http://localhost:<server port> with one virtual CTAP2 platform authenticator that
    holds resident keys and verifies its user."""

    def __init__(self, tab: Any, server: Any) -> None:
        self.tab = tab
        tab.goto(f"http://localhost:{server.port}/_userpools/health")
        self.cdp = tab.context.new_cdp_session(tab)
        self.cdp.send("WebAuthn.enable")
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
        }})["authenticatorId"]

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        return dict(self.tab.evaluate(CREATE, options))

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        return dict(self.tab.evaluate(GET, options))

    def credentials(self) -> list[dict[str, Any]]:
        return list(self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"])

    def replace(self, credential: dict[str, Any]) -> None:
        """Puts a copy of a credential back (a clone with its own counter)."""
        self.cdp.send("WebAuthn.removeCredential",
                      {"authenticatorId": self.id, "credentialId": credential["credentialId"]})
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential})


@pytest.fixture
def authenticator(chromium: Any, server: Any) -> Iterator[Authenticator]:
    context = chromium.new_context()
    tab = context.new_page()
    yield Authenticator(tab, server)
    context.close()


def passkey_pool(cognito: Any, **webauthn: str) -> tuple[dict[str, Any], str]:
    pool = passwordless_pool(cognito, ["PASSWORD", "WEB_AUTHN"])
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"], MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required", **webauthn},
    )
    client = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    return pool, client


def access_token(cognito: Any, client: str, name: str) -> str:
    tokens = user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    return str(tokens["AuthenticationResult"]["AccessToken"])


def register(cognito: Any, authenticator: Authenticator, token: str) -> dict[str, Any]:
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    credential = authenticator.create(options)
    assert cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)["ResponseMetadata"]
    return credential


def passkey_sign_in(cognito: Any, authenticator: Authenticator, client: str, name: str) -> dict[str, Any]:
    challenge = user_auth(cognito, client, name, PREFERRED_CHALLENGE="WEB_AUTHN")
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assertion = authenticator.get(options)
    return respond(cognito, client, "WEB_AUTHN", challenge["Session"], USERNAME=name,
                   CREDENTIAL=json.dumps(assertion))


def test_register_a_passkey_then_sign_in_with_it(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == name
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    credential = authenticator.create(options)
    cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)

    listed = cognito.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert [c["CredentialId"] for c in listed] == [credential["id"]]
    assert listed[0]["RelyingPartyId"] == "localhost"
    assert listed[0]["AuthenticatorAttachment"] == "platform"
    assert listed[0]["AuthenticatorTransports"] == credential["response"]["transports"]
    assert listed[0]["FriendlyCredentialName"] and listed[0]["CreatedAt"]
    factors = cognito.get_user_auth_factors(AccessToken=token)["ConfiguredUserAuthFactors"]
    assert factors == ["PASSWORD", "WEB_AUTHN"]

    selection = user_auth(cognito, client, name)
    assert selection["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"]
    challenge = respond(cognito, client, "SELECT_CHALLENGE", selection["Session"], USERNAME=name, ANSWER="WEB_AUTHN")
    request = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert request["rpId"] == "localhost" and request["userVerification"] == "required"
    assert [c["id"] for c in request["allowCredentials"]] == [credential["id"]]
    assertion = authenticator.get(request)
    done = respond(cognito, client, "WEB_AUTHN", challenge["Session"], USERNAME=name, CREDENTIAL=json.dumps(assertion))
    assert done["AuthenticationResult"]["AccessToken"]
    # The Session and its challenge are single use.
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "WEB_AUTHN", challenge["Session"], USERNAME=name, CREDENTIAL=json.dumps(assertion))
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")
    # PREFERRED_CHALLENGE goes straight to it.
    assert passkey_sign_in(cognito, authenticator, client, name)["AuthenticationResult"]["IdToken"]


def test_a_cloned_authenticator_with_an_old_counter_is_refused(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    register(cognito, authenticator, access_token(cognito, client, name))
    [before] = authenticator.credentials()
    assert "AuthenticationResult" in passkey_sign_in(cognito, authenticator, client, name)
    assert "AuthenticationResult" in passkey_sign_in(cognito, authenticator, client, name)
    [after] = authenticator.credentials()
    assert after["signCount"] > before["signCount"]
    authenticator.replace(before)  # the clone: same key, the counter of before both sign-ins
    with pytest.raises(ClientError) as excinfo:
        passkey_sign_in(cognito, authenticator, client, name)
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_an_assertion_for_another_challenge_is_refused(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    register(cognito, authenticator, access_token(cognito, client, name))
    first = user_auth(cognito, client, name, PREFERRED_CHALLENGE="WEB_AUTHN")
    second = user_auth(cognito, client, name, PREFERRED_CHALLENGE="WEB_AUTHN")
    assertion = authenticator.get(json.loads(first["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]))
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "WEB_AUTHN", second["Session"], USERNAME=name, CREDENTIAL=json.dumps(assertion))
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_delete_a_passkey(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    credential = register(cognito, authenticator, token)
    cognito.delete_web_authn_credential(AccessToken=token, CredentialId=credential["id"])
    assert cognito.list_web_authn_credentials(AccessToken=token)["Credentials"] == []
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_web_authn_credential(AccessToken=token, CredentialId=credential["id"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    assert user_auth(cognito, client, name, PREFERRED_CHALLENGE="WEB_AUTHN")["ChallengeName"] == "SELECT_CHALLENGE"


def test_registration_errors(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    credential = register(cognito, authenticator, token)
    # The challenge is single use.
    with pytest.raises(ClientError) as excinfo:
        cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)
    assert error_of(excinfo)[0] == "WebAuthnChallengeNotFoundException"
    # The user's passkeys are excluded: the authenticator that holds one refuses to make another.
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert [c["id"] for c in options["excludeCredentials"]] == [credential["id"]]
    with pytest.raises(Exception, match="already registered"):
        authenticator.create(options)
    # Another app client's access token.
    second = make_user(cognito, pool["Id"])
    second_token = access_token(cognito, client, second)
    other = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    options = cognito.start_web_authn_registration(AccessToken=second_token)["CredentialCreationOptions"]
    created = authenticator.create(options)
    with pytest.raises(ClientError) as excinfo:
        cognito.complete_web_authn_registration(AccessToken=access_token(cognito, other, second), Credential=created)
    assert error_of(excinfo)[0] == "WebAuthnClientMismatchException"
    # The relying party changed between Start and Complete.
    options = cognito.start_web_authn_registration(AccessToken=second_token)["CredentialCreationOptions"]
    created = authenticator.create({**options, "excludeCredentials": []})
    cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], MfaConfiguration="OFF",
                                     WebAuthnConfiguration={"RelyingPartyId": "auth.example.com"})
    with pytest.raises(ClientError) as excinfo:
        cognito.complete_web_authn_registration(AccessToken=second_token, Credential=created)
    assert error_of(excinfo)[0] == "WebAuthnRelyingPartyMismatchException"
    assert cognito.list_web_authn_credentials(AccessToken=second_token)["Credentials"] == []


def test_a_page_on_another_origin_is_refused(cognito: Any, authenticator: Authenticator) -> None:
    pool = passwordless_pool(cognito, ["PASSWORD", "WEB_AUTHN"])
    cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], MfaConfiguration="OFF",
                                     WebAuthnConfiguration={"RelyingPartyId": "localhost"})
    client = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    created = authenticator.create(options)
    # The same answer as a browser on another origin would have sent it: the client data names that origin
    # (and so its signature no longer matters: the origin is refused first).
    client_data = json.loads(base64.urlsafe_b64decode(created["response"]["clientDataJSON"] + "=="))
    client_data["origin"] = "https://evil.example.net"
    forged = base64.urlsafe_b64encode(json.dumps(client_data).encode()).decode().rstrip("=")
    tampered = {**created, "response": {**created["response"], "clientDataJSON": forged}}
    with pytest.raises(ClientError) as excinfo:
        cognito.complete_web_authn_registration(AccessToken=token, Credential=tampered)
    assert error_of(excinfo)[0] == "WebAuthnOriginNotAllowedException"


def test_start_needs_web_authn_in_the_sign_in_policy_and_a_relying_party(cognito: Any) -> None:
    pool = passwordless_pool(cognito, ["PASSWORD"])
    client = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    with pytest.raises(ClientError) as excinfo:
        cognito.start_web_authn_registration(AccessToken=token)
    assert error_of(excinfo)[0] == "WebAuthnNotEnabledException"
    cognito.update_user_pool(UserPoolId=pool["Id"],
                             Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})
    with pytest.raises(ClientError) as excinfo:
        cognito.start_web_authn_registration(AccessToken=token)
    assert error_of(excinfo)[0] == "WebAuthnConfigurationMissingException"
    # The pool's domain is the default relying party.
    prefix = unique("pk").lower()
    cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain=prefix)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == f"{prefix}.auth.{pool['Id'].split('_')[0]}.amazoncognito.com"
    with pytest.raises(ClientError) as excinfo:
        cognito.list_web_authn_credentials(AccessToken="not-a-token")
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_a_hidden_unknown_name_gets_passkey_options_and_every_answer_fails(cognito: Any,
                                                                          authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    hiding = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED")["ClientId"]
    name = make_user(cognito, pool["Id"])
    register(cognito, authenticator, access_token(cognito, client, name))
    real = user_auth(cognito, hiding, name, PREFERRED_CHALLENGE="WEB_AUTHN")
    ghost = user_auth(cognito, hiding, "nobody-here", PREFERRED_CHALLENGE="WEB_AUTHN")
    assert ghost["ChallengeName"] == real["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(ghost["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == "localhost" and options["allowCredentials"] == []
    # The authenticator's discoverable passkey answers the empty allow list; the answer still fails.
    assertion = authenticator.get(options)
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, hiding, "WEB_AUTHN", ghost["Session"], USERNAME="nobody-here", CREDENTIAL=json.dumps(assertion))
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_list_pages_with_max_results(cognito: Any, authenticator: Authenticator) -> None:
    pool, client = passkey_pool(cognito)
    name = make_user(cognito, pool["Id"])
    token = access_token(cognito, client, name)
    first = register(cognito, authenticator, token)
    # The authenticator forgets its passkey (as a reset phone would), so it may make a second one.
    [held] = authenticator.credentials()
    authenticator.cdp.send("WebAuthn.removeCredential",
                           {"authenticatorId": authenticator.id, "credentialId": held["credentialId"]})
    second = register(cognito, authenticator, token)
    page = cognito.list_web_authn_credentials(AccessToken=token, MaxResults=1)
    assert [c["CredentialId"] for c in page["Credentials"]] == [first["id"]]
    rest = cognito.list_web_authn_credentials(AccessToken=token, MaxResults=1, NextToken=page["NextToken"])
    assert [c["CredentialId"] for c in rest["Credentials"]] == [second["id"]] and "NextToken" not in rest
    with pytest.raises(ClientError) as excinfo:
        cognito.list_web_authn_credentials(AccessToken=token, NextToken="bm90LWEtdG9rZW4=")
    assert error_of(excinfo)[0] == "InvalidParameterException"
