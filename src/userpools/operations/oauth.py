"""A pool domain's authorization side: /oauth2/authorize, the hosted sign-in, sessions (single sign-on) and
/logout. Each function is one transaction; the HTTP handlers (``userpools.oauth``, ``userpools.hosted_ui``) turn
what they return into redirects and pages.

Codes and sessions are ``oauth_grants`` (``storage.ports.OAuthGrantRecord``), found by the keyed hash of the
secret the client (the code) or the browser (the session cookie) holds: a copy of the database holds neither.
Reference: AWS "user pool endpoints and managed login reference" (authorize, login, logout endpoints).
"""

from __future__ import annotations

import hashlib
import hmac
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from userpools import ids
from userpools.crypto.datakey import DataKeyCipher
from userpools.domain import cimd
from userpools.domain import clients as client_domain
from userpools.domain import oauth as rules
from userpools.domain import sessions as session_domain
from userpools.domain import tokens as token_domain
from userpools.domain.records import ClientRecord, OAuthGrantRecord, PoolRecord, UserRecord
from userpools.domain.resource_servers import DCR_SCOPE, custom_scopes
from userpools.domain.resources import DOMAIN, RESOURCE_SERVER, domain_key
from userpools.errors import InvalidParameterException, NotAuthorizedException, UserNotFoundException
from userpools.operations import auth, cimd_clients, oauth_limits, passkeys, replica_guard, signin
from userpools.operations.common import SECRET_KNOWN_TO_SERVER, answers_held
from userpools.operations.context import CALLER, Context
from userpools.operations.tokens import issue_for_sign_in
from userpools.storage.ports import ConfigMemo, Transaction

CODE = "code"
SESSION = "session"
HOSTED_SOURCE = "TokenGeneration_HostedAuth"  # PreTokenGeneration's source for managed login [C]
PURGE_ONE_IN = 64  # one code issue in so many also deletes the expired codes and sessions (indexed)
_keyed: weakref.WeakKeyDictionary[DataKeyCipher, hmac.HMAC] = weakref.WeakKeyDictionary()


def grant_key(cipher: DataKeyCipher, kind: str, secret: str) -> str:
    """The stored key of a code or session: HMAC-SHA256 under a key derived from the data key (hex). The HMAC
    keyed once per data key and copied for each grant: OpenSSL 3 looks the algorithm up again at every one-shot
    HMAC (py-spy: 1.5% of a hosted sign-in's CPU for its three grant keys), not when a keyed one is copied."""
    keyed = _keyed.get(cipher)
    if keyed is None:
        keyed = _keyed[cipher] = hmac.new(cipher.derive("oauth-grants"), digestmod=hashlib.sha256)
    mac = keyed.copy()
    mac.update(f"{kind}\x1f{secret}".encode())
    return mac.hexdigest()


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _moment(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


# --- the domain and the request ----------------------------------------------------------------------


async def pool_of_domain(ctx: Context, domain: str) -> PoolRecord | None:
    """The pool whose domain (prefix or custom name) this is; None when no pool has it."""
    async with ctx.store.transaction(readonly=True) as tx:
        return await pool_of_domain_in(tx, domain)


async def pool_of_domain_in(tx: Transaction, domain: str) -> PoolRecord | None:
    """``pool_of_domain`` inside a transaction of the caller's."""
    found = await tx.resources.get(DOMAIN, domain_key(domain))
    return None if found is None else await tx.pools.get(found.pool_id)


@dataclass(frozen=True)
class AuthorizeRequest:
    """An authorization request that passed every check: where to answer, and what to grant."""

    client_id: str
    redirect_uri: str
    response_type: str
    state: str | None
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    prompt: str | None
    identity_providers: tuple[str, ...] = ()  # the client's providers other than COGNITO (the sign-in buttons)
    cognito_sign_in: bool = True  # COGNITO is among them: the page shows the password form
    user_auth: bool = False  # the client allows USER_AUTH (the page may offer a passkey: ``hosted_mfa``)


class AuthorizeRedirect(Exception):
    """An error the client hears of at its redirect_uri (``?error=…&state=…``)."""

    def __init__(self, redirect_uri: str, error: rules.OAuthError, state: str | None, *, fragment: bool) -> None:
        super().__init__(error.error)
        params = {"error": error.error}
        if error.description:
            params["error_description"] = error.description
        if state is not None:
            params["state"] = state
        self.location = with_params(redirect_uri, params, fragment=fragment)


def with_params(uri: str, params: dict[str, str], *, fragment: bool = False) -> str:
    parts = urlsplit(uri)
    encoded = rules.form_encode(params)
    if fragment:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, encoded))
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def _client_of_pool(tx: Transaction, pool: PoolRecord, client_id: str | None) -> ClientRecord:
    if not client_id:
        raise rules.PageError("invalid_request", "Missing required parameter client_id")
    if cimd.is_metadata_url(client_id):
        client = await cimd_clients.client_for(tx, pool, client_id)
    else:
        client = await tx.clients.get(client_id)
    if client is None or client.pool_id != pool.id:
        raise rules.PageError("invalid_request", "Invalid client_id")  # [U] Cognito's page for it
    return client


async def ensure_client(ctx: Context, pool: PoolRecord, client_id: str | None) -> None:
    """Before the transaction: a client ID metadata document is fetched if not cached (``cimd_clients``); a
    document that cannot be fetched or used is the error page's (never a redirect)."""
    try:
        await cimd_clients.ensure(ctx, pool, client_id)
    except cimd_clients.FetchError as exc:
        raise rules.PageError("invalid_client", f"Invalid client metadata document: {exc}") from None


async def defined_custom_scopes(tx: Transaction, pool_id: str) -> set[str]:
    servers = await tx.resources.list(pool_id, RESOURCE_SERVER, limit=1000)
    return custom_scopes(server.document for server in servers) | {DCR_SCOPE}


async def check_authorize(tx: Transaction, pool: PoolRecord, params: dict[str, str]) -> tuple[ClientRecord, AuthorizeRequest]:
    """Cognito's checks of an authorization request, in the order that decides where an error goes: no usable
    client or redirect_uri → PageError (never a redirect: no open redirect); any later error → AuthorizeRedirect."""
    client = await _client_of_pool(tx, pool, params.get("client_id"))
    settings = client.settings
    redirect_uri = rules.redirect_uri_for(settings, params.get("redirect_uri"))
    state = params.get("state")
    response_type = params.get("response_type") or ""

    def fail(error: rules.OAuthError) -> AuthorizeRedirect:
        return AuthorizeRedirect(redirect_uri, error, state, fragment=response_type == "token")

    if not response_type:
        raise fail(rules.InvalidRequest("Missing required parameter response_type"))
    if response_type not in ("code", "token"):
        raise fail(rules.UnsupportedResponseType())
    flow = "code" if response_type == "code" else "implicit"
    if flow not in rules.allowed_flows(settings):
        raise fail(rules.UnauthorizedClient())
    providers = tuple(p for p in settings.get("SupportedIdentityProviders") or [] if p != "COGNITO")
    provider = params.get("identity_provider")
    federated = (provider is not None and provider != "COGNITO") or bool(params.get("idp_identifier"))
    if provider == "COGNITO" and not rules.supports_cognito_sign_in(settings):
        raise fail(rules.UnauthorizedClient())  # [U]
    if not federated and not providers and not rules.supports_cognito_sign_in(settings):
        raise fail(rules.UnauthorizedClient())  # [U] a client without any provider has no sign-in page
    try:
        scopes = rules.granted_scopes(
            rules.parse_scopes(params.get("scope")), rules.allowed_scopes(settings),
            await defined_custom_scopes(tx, pool.id), user_grant=True,
        )
        challenge = params.get("code_challenge")
        rules.check_challenge(challenge, params.get("code_challenge_method"))
    except rules.OAuthError as exc:
        raise fail(exc) from None
    if challenge is None and cimd.is_metadata_url(client.id):
        raise fail(rules.InvalidRequest("PKCE is required for client ID metadata document clients"))  # [U]
    if challenge is not None and response_type == "token":
        challenge = None  # PKCE is for the code grant; the implicit grant ignores it [U]
    prompt = params.get("prompt")
    request = AuthorizeRequest(
        client_id=client.id, redirect_uri=redirect_uri, response_type=response_type, state=state, scopes=scopes,
        nonce=params.get("nonce"), code_challenge=challenge, prompt=prompt if prompt in ("login", "none") else None,
        identity_providers=providers, cognito_sign_in=rules.supports_cognito_sign_in(settings),
        user_auth="USER_AUTH" in client_domain.enabled_auth_flows(settings),
    )
    return client, request


# --- sessions, codes and implicit tokens --------------------------------------------------------------


async def new_session(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, client: ClientRecord
                       ) -> str:
    """A hosted-UI sign-in session (ListUserSessions' SSO session: the client it was opened for, the caller)."""
    now = ctx.clock.now()
    secret = ids.token_urlsafe(32)
    caller = CALLER.get()
    await tx.oauth_grants.insert(OAuthGrantRecord(
        SESSION, grant_key(ctx.cipher, SESSION, secret), pool.id, now,
        now + timedelta(seconds=rules.SESSION_LIFETIME_SECONDS), None,
        {"username_key": user.username_key, "sub": user.sub, "auth_time": _epoch(now), "client_id": client.id,
         "ip": caller.ip, "user_agent": caller.user_agent},
    ))
    return secret


async def _session_user(
    ctx: Context, tx: Transaction, pool: PoolRecord, secret: str | None
) -> tuple[UserRecord, datetime] | None:
    """The signed-in user of a live session of this pool's domain, and when it signed in."""
    if not secret:
        return None
    grant = await tx.oauth_grants.get(SESSION, grant_key(ctx.cipher, SESSION, secret))
    if grant is None or grant.pool_id != pool.id or grant.expires_at <= ctx.clock.now():
        return None
    user = await tx.users.get(pool.id, str(grant.document.get("username_key")))
    if user is None or user.sub != grant.document.get("sub") or not user.enabled:
        return None
    return user, _moment(int(grant.document["auth_time"]))


async def session_user(ctx: Context, tx: Transaction, pool: PoolRecord, secret: str | None) -> UserRecord | None:
    """The signed-in user of a live session of this pool's domain (the session cookie's secret)."""
    found = await _session_user(ctx, tx, pool, secret)
    return None if found is None else found[0]


async def _sso_reusable(ctx: Context, tx: Transaction, pool: PoolRecord, client_id: str, auth_time: datetime
                        ) -> bool:
    """Whether this client may silently reuse the SSO session: with session tracking on, for the client's
    MaxValidityMinutes (60 unless set; 0: never) counted from the session's sign-in [C: BC
    SetUserPoolClientSessionConfiguration]; with tracking off the setting is dormant [C] and a session serves
    for its whole lifetime, as it always has here."""
    if not session_domain.tracking(pool.settings):
        return True
    stored = await tx.resources.get(session_domain.CLIENT_SESSION_CONFIG,
                                    session_domain.client_config_key(pool.id, client_id))
    minutes = session_domain.sso_max_validity_minutes(None if stored is None else stored.document)
    return ctx.clock.now() < auth_time + timedelta(minutes=minutes)


async def answer(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord,
                  request: AuthorizeRequest, auth_time: datetime, *, sso: str | None = None,
                  reached: tuple[str, tuple[str, ...] | None] | None = None) -> str:
    """The signed-in user's answer to the client: a code (code grant) or the tokens in the fragment (implicit).
    ``sso``: the stored key of the hosted-UI session behind it (the token session's OriginSessionId);
    ``reached``: the ``acr`` and ``amr`` the tokens report (a federated sign-in that was asked for a level)."""
    acr, amr = reached if reached is not None else (None, None)
    now = ctx.clock.now()
    if request.response_type == "code":
        if ids.randbelow(PURGE_ONE_IN) == 0:
            await tx.oauth_grants.purge(now)  # expired codes and sessions go, a few at a time, by the way
        code = ids.new_uuid()  # Cognito's codes are UUIDs [O]; 122 random bits
        await tx.oauth_grants.insert(OAuthGrantRecord(
            CODE, grant_key(ctx.cipher, CODE, code), pool.id, now,
            now + timedelta(seconds=rules.CODE_LIFETIME_SECONDS), None,
            {"client_id": client.id, "redirect_uri": request.redirect_uri, "scopes": list(request.scopes),
             "nonce": request.nonce, "code_challenge": request.code_challenge,
             "username_key": user.username_key, "sub": user.sub, "auth_time": _epoch(auth_time), "sso": sso}
            | ({"acr": acr, "amr": None if amr is None else list(amr)} if acr is not None else {}),
        ))
        params = {"code": code}
        if request.state is not None:
            params["state"] = request.state
        return with_params(request.redirect_uri, params)
    result = await issue_for_sign_in(
        ctx, tx, pool, client, user, source=HOSTED_SOURCE, auth_time=auth_time, with_refresh=False,
        oauth=token_domain.OAuthGrant(request.scopes, request.nonce, acr, amr),
    )
    fragment = {"access_token": str(result["AccessToken"])}
    if "IdToken" in result:
        fragment["id_token"] = str(result["IdToken"])
    fragment.update({"token_type": "Bearer", "expires_in": str(result["ExpiresIn"])})
    if request.state is not None:
        fragment["state"] = request.state
    return with_params(request.redirect_uri, fragment, fragment=True)


# --- /oauth2/authorize ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    location: str
    session_secret: str | None = None  # a new session to set in the cookie
    offer_passkey: bool = False  # a password sign-in of a user with no passkey, where passkeys are on


@dataclass(frozen=True)
class ShowLogin:
    """No session (or prompt=login): the sign-in page, with the same request (``checked``: its checks' answer)."""

    checked: AuthorizeRequest | None = None


async def authorize(ctx: Context, pool: PoolRecord, params: dict[str, str], session_secret: str | None
                    ) -> Redirect | ShowLogin:
    """GET /oauth2/authorize: with a live session (single sign-on) the answer at once, unless prompt=login;
    prompt=none without one → error=login_required [C: OIDC; U: Cognito's support of prompt=none]."""
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction(readonly=True) as tx:  # most requests only read: the sign-in page follows
        client, request = await check_authorize(tx, pool, params)
        signed_in = None if request.prompt == "login" else await _session_user(ctx, tx, pool, session_secret)
        if signed_in is not None and not await _sso_reusable(ctx, tx, pool, client.id, signed_in[1]):
            signed_in = None
    if signed_in is None:
        if request.prompt == "none":
            raise AuthorizeRedirect(request.redirect_uri, rules.LoginRequired(), request.state,
                                    fragment=request.response_type == "token")
        return ShowLogin(request)
    async with ctx.store.transaction() as tx:
        sso = grant_key(ctx.cipher, SESSION, session_secret) if session_secret else None
        return Redirect(await answer(ctx, tx, pool, client, signed_in[0], request, signed_in[1], sso=sso))


#: What ``check_authorize`` decides by (with whether there is a code_challenge): requests equal in these are
#: checked alike; state, nonce and code_challenge only pass through (``carried``).
DECISIVE = ("client_id", "redirect_uri", "response_type", "scope", "code_challenge_method", "identity_provider",
            "idp_identifier", "prompt")


def decisive(params: dict[str, str]) -> tuple[str | bool | None, ...]:
    """The part of an authorization request ``check_authorize``'s answer depends on (see ``carried``)."""
    return (*(params.get(name) for name in DECISIVE), "code_challenge" in params)


def carried(checked: AuthorizeRequest, params: dict[str, str]) -> AuthorizeRequest:
    """What ``check_authorize`` makes of ``params``, given its answer ``checked`` for a request with the same
    ``decisive`` part (a client ID metadata document client excepted: checked afresh each time): the same, with
    this request's state, nonce and code_challenge, whose check is the one left to make [C: S256 only]."""
    challenge, state = params.get("code_challenge"), params.get("state")
    try:
        rules.check_challenge(challenge, params.get("code_challenge_method"))
    except rules.OAuthError as exc:
        raise AuthorizeRedirect(checked.redirect_uri, exc, state, fragment=checked.response_type == "token") from None
    if challenge is not None and checked.response_type == "token":
        challenge = None  # as check_authorize: the implicit grant ignores PKCE [U]
    # built field by field (dataclasses.replace's generic walk was most of this function's CPU); a test checks
    # that every other field is carried over
    return AuthorizeRequest(checked.client_id, checked.redirect_uri, checked.response_type, state, checked.scopes,
                            params.get("nonce"), challenge, checked.prompt, checked.identity_providers,
                            checked.cognito_sign_in, checked.user_auth)


async def check_login_request(ctx: Context, pool: PoolRecord, params: dict[str, str]) -> AuthorizeRequest:
    """GET /login: the same checks as the authorization request it continues."""
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction(readonly=True) as tx:
        return (await check_authorize(tx, pool, params))[1]


# --- the hosted sign-in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPasswordRequired:
    """The user signed in with a temporary password: the new-password form, carrying the challenge Session."""

    session: str
    username: str
    required_attributes: tuple[str, ...]


#: The challenges after the first factor that the hosted pages serve (``hosted_ui.challenges``); SELECT_CHALLENGE
#: only follows a passkey sign-in asked for by a user who has no passkey.
PAGE_CHALLENGES = frozenset({"SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
                             "WEB_AUTHN", "SELECT_CHALLENGE"})


@dataclass(frozen=True)
class Challenge:
    """A second-factor (or passkey) challenge the next page answers, carrying the API's Session. ``username``:
    the user's name as the API names it (USER_ID_FOR_SRP / USERNAME); ``parameters``: ChallengeParameters;
    ``secret`` and ``otpauth``: an authenticator app's set-up (MFA_SETUP, after AssociateSoftwareToken)."""

    name: str
    session: str
    username: str
    parameters: dict[str, str]
    secret: str | None = None
    otpauth: str | None = None


Outcome = Redirect | NewPasswordRequired | Challenge


async def hosted_step(ctx: Context, pool: PoolRecord, params: dict[str, str], auth_params: dict[str, str],
                      step: Any, *, offer_passkey: bool = False, checked: Checked | None = None) -> Outcome:
    """Runs one step of the API's sign-in logic (lockout, PreventUserExistenceErrors, triggers) for the hosted
    pages; a success ends in a session and the answer to the client instead of tokens. ``offer_passkey``: the
    page may offer a passkey after the sign-in (managed login, passkeys on): whether the user has none is
    looked up then (``Redirect.offer_passkey``)."""
    session_box: list[str] = []
    offer_box: list[bool] = []
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction() as tx:
        client, request = await _checked_in(tx, pool, params, checked)
        await oauth_limits.refuse_throttled_login(ctx, tx, pool.id)
        if not rules.supports_cognito_sign_in(client.settings):
            raise AuthorizeRedirect(request.redirect_uri, rules.UnauthorizedClient(), request.state,
                                    fragment=request.response_type == "token")  # [U] no password sign-in
        if client.secret_ciphertext is not None and auth_params.get("USERNAME"):
            # the server knows the secret: the API flow's SECRET_HASH check passes as it would for the app
            auth_params["SECRET_HASH"] = SECRET_KNOWN_TO_SERVER

        async def finish(a: signin.Attempt, user: UserRecord, source: str) -> dict[str, Any]:
            if offer_passkey and "CREDENTIAL" not in a.params and passkeys.web_authn_allowed(pool):
                # managed login offers a passkey after a sign-in without one (one query, where it may)
                offer_box.append(not await passkeys.has_passkey(tx, user))
            session_box.append(await new_session(ctx, tx, pool, user, client))
            sso = grant_key(ctx.cipher, SESSION, session_box[-1])
            return {"Location": await answer(ctx, tx, pool, client, user, request, ctx.clock.now(), sso=sso)}

        attempt = signin.Attempt(ctx=ctx, tx=tx, pool=pool, client=client, params=auth_params, admin=False,
                               finish=finish)
        out = await step(attempt)
    if attempt.failure is not None:
        raise attempt.failure
    for call in attempt.after:
        await call()
    if out.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        parameters = out["ChallengeParameters"]
        required = tuple(n.removeprefix("userAttributes.") for n in _json_list(parameters["requiredAttributes"]))
        return NewPasswordRequired(out["Session"], parameters["USER_ID_FOR_SRP"], required)
    if out.get("ChallengeName") in PAGE_CHALLENGES:
        parameters = dict(out.get("ChallengeParameters") or {})
        name = parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or auth_params.get("USERNAME", "")
        return Challenge(out["ChallengeName"], out["Session"], name, parameters)
    if "Location" not in out:
        # a challenge the hosted pages do not serve (custom auth): [U] refused plainly
        raise InvalidParameterException("This sign-in needs a step the hosted pages do not offer yet.")
    return Redirect(out["Location"], session_box[0] if session_box else None, offer_passkey=any(offer_box))


@dataclass(frozen=True)
class Checked:
    """An authorization request's checks as a page made them (``HostedPages._prepared``): ``request`` under the
    configuration whose memo is ``memo`` (``Store.config_memo``)."""

    request: AuthorizeRequest
    memo: ConfigMemo


async def _checked_in(tx: Transaction, pool: PoolRecord, params: dict[str, str], checked: Checked | None
                      ) -> tuple[ClientRecord, AuthorizeRequest]:
    """``check_authorize`` in the sign-in's transaction; answered by the page's own checks when the transaction
    sees the configuration they were made under (its memo is the same object: a change of configuration, in
    any process, starts a new one)."""
    if checked is not None and await tx.config_memo() is checked.memo:
        client = await tx.clients.get(checked.request.client_id)
        if client is not None and client.pool_id == pool.id:
            return client, checked.request
    return await check_authorize(tx, pool, params)


def _json_list(text: str) -> list[str]:
    value = orjson.loads(text)
    return [str(v) for v in value] if isinstance(value, list) else []


@answers_held
async def sign_in(ctx: Context, pool: PoolRecord, params: dict[str, str], username: str, password: str, *,
                  offer_passkey: bool = False, checked: Checked | None = None) -> Outcome:
    """POST /login. Raises the sign-in's CognitoError (wrong password, unknown user, not confirmed, locked), or
    ``oauth_limits.LoginThrottled`` when the caller's address is past its failed sign-ins. On a pool's secondary
    Region, as InitiateAuth there (``replica_guard``)."""
    replica_guard.check_operation(pool, "InitiateAuth", ctx.settings.region)
    try:
        return await hosted_step(ctx, pool, params, {"USERNAME": username, "PASSWORD": password},
                                 auth.password_sign_in, offer_passkey=offer_passkey, checked=checked)
    except (NotAuthorizedException, UserNotFoundException):
        await oauth_limits.count_login_failure(ctx, pool.id)
        raise


@answers_held
async def new_password(ctx: Context, pool: PoolRecord, params: dict[str, str], session: str, username: str,
                       password: str, attributes: dict[str, str], *, offer_passkey: bool = False) -> Outcome:
    """POST of the new-password form (NEW_PASSWORD_REQUIRED)."""
    replica_guard.check_operation(pool, "RespondToAuthChallenge", ctx.settings.region)
    auth_params = {"USERNAME": username, "NEW_PASSWORD": password}
    auth_params.update({f"userAttributes.{name}": value for name, value in attributes.items()})

    async def step(a: signin.Attempt) -> dict[str, Any]:
        return await auth.new_password_sign_in(a, session)

    return await hosted_step(ctx, pool, params, auth_params, step, offer_passkey=offer_passkey)


# --- /logout -------------------------------------------------------------------------------------------


async def logout(ctx: Context, pool: PoolRecord, params: dict[str, str], session_secret: str | None,
                 login_url: str) -> Redirect:
    """GET /logout: ``client_id`` and ``logout_uri`` (one of the client's LogoutURLs) → the session ends, then
    to logout_uri; or ``redirect_uri`` and ``response_type`` → the session ends, then to the sign-in page
    with that request [C: logout endpoint]. Anything else → PageError (never a redirect)."""
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction() as tx:
        client = await _client_of_pool(tx, pool, params.get("client_id"))
        logout_uri = params.get("logout_uri")
        if logout_uri is not None:
            if not rules.logout_uri_allowed(client.settings, logout_uri):
                raise rules.PageError("redirect_mismatch", "redirect_mismatch")  # [U] the page's error
            location = logout_uri
        elif params.get("redirect_uri") and params.get("response_type"):
            await check_authorize(tx, pool, params)
            keep = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge",
                    "code_challenge_method", "lang")
            location = with_params(login_url, {k: params[k] for k in keep if k in params})
        else:
            raise rules.PageError("invalid_request", "Missing required parameter logout_uri")  # [U] wording
        if session_secret:
            await tx.oauth_grants.delete(SESSION, grant_key(ctx.cipher, SESSION, session_secret))
    return Redirect(location)
