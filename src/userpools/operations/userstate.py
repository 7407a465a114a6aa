"""Changes to a user that several operations make the same way: saving it with its aliases, setting a
password, and sending a code."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from userpools.crypto import imported_hashes, passwords
from userpools.crypto.codes import new_code
from userpools.crypto.datakey import DataKeyError
from userpools.delivery.messages import Message, code_delivery_details, verification_message
from userpools.delivery.senders import DeliveryError
from userpools.domain import users as user_domain
from userpools.domain.records import CodeRecord, PoolRecord, UserRecord
from userpools.domain.user_import import IMPORTED_HASH
from userpools.errors import (
    AliasExistsException,
    CodeDeliveryFailureException,
    CodeMismatchException,
    ExpiredCodeException,
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
)
from userpools.operations import hooks, log_delivery
from userpools.operations.context import Context
from userpools.storage.ports import Conflict, Transaction
from userpools.triggers import events
from userpools.triggers.sender_codes import SenderCodeCipher

log = logging.getLogger("userpools.delivery")

SIGN_UP_CODE = "sign-up"
CODE_VALIDITY = timedelta(hours=24)  # sign-up and attribute-verification codes (auth.md §7)
_ALIAS_MESSAGES = {
    "email": "An account with the given email already exists.",
    "phone_number": "An account with the given phone_number already exists.",
    "preferred_username": "An account with the given preferred_username already exists.",
}


def verify_purpose(attribute: str) -> str:
    return f"verify:{attribute}"


async def store_aliases(tx: Transaction, pool: PoolRecord, user: UserRecord, *, force: bool = False) -> None:
    """Gives the user exactly the aliases its attributes earn; another user's alias is an
    AliasExistsException unless ``force`` moves it (ForceAliasCreation)."""
    aliases = user_domain.aliases_for(pool.settings, user.attributes)
    if force:
        for kind, value_key in aliases.items():
            owner = await tx.users.find_alias(pool.id, kind, value_key)
            if owner is not None and owner != user.username_key:
                await tx.users.release_alias(pool.id, kind, value_key)
                await _unverify_moved_alias(tx, pool, owner, kind)
    try:
        await tx.users.set_aliases(pool.id, user.username_key, aliases)
    except Conflict:
        taken = "email"
        for kind, value_key in aliases.items():
            if (await tx.users.find_alias(pool.id, kind, value_key)) not in (None, user.username_key):
                taken = kind
                break
        raise AliasExistsException(_ALIAS_MESSAGES[taken]) from None


async def _unverify_moved_alias(tx: Transaction, pool: PoolRecord, owner_key: str, kind: str) -> None:
    """The previous owner of a moved email/phone alias keeps the attribute, unverified (Cognito's
    documented ForceAliasCreation behaviour)."""
    owner = await tx.users.get(pool.id, owner_key, for_update=True)
    if owner is None or kind == "preferred_username":
        return
    attributes = dict(owner.attributes)
    attributes[f"{kind}_verified"] = "false"
    await tx.users.update(dataclasses.replace(owner, attributes=attributes))


def with_password(ctx: Context, user: UserRecord, password: str, *, history_size: int) -> UserRecord:
    """The user with a new password verifier (the old one pushed onto the history when the pool keeps one)."""
    ciphertext = passwords.create(user.pool_id, user.username, password, ctx.cipher)
    history = user.password_history_ciphertext
    if history_size and user.password_ciphertext is not None:
        history = passwords.history_push(
            history, user.password_ciphertext, history_size, user.pool_id, user.username, ctx.cipher
        )
    extra = user.extra
    if IMPORTED_HASH in extra:  # a password set by any means replaces an imported hash for good
        extra = {name: value for name, value in extra.items() if name != IMPORTED_HASH}
    return dataclasses.replace(
        user, password_ciphertext=ciphertext, password_changed_at=ctx.clock.now(),
        password_history_ciphertext=history, failed_attempts=0, locked_until=None, extra=extra,
    )


def has_imported_hash(user: UserRecord) -> bool:
    """The user came from an import job with a password hash and has not signed in with it yet: no SRP
    verifier exists, only the hash (``crypto.imported_hashes``)."""
    return user.password_ciphertext is None and IMPORTED_HASH in user.extra


async def imported_hash_matches(ctx: Context, user: UserRecord, password: str) -> bool:
    """Checks ``password`` against the user's imported hash, on a thread (bcrypt, scrypt and Argon2 take
    tens to hundreds of milliseconds, and release the GIL)."""
    algorithm, value = imported_hashes.unseal(user.extra[IMPORTED_HASH], user.pool_id, user.username, ctx.cipher)
    return await asyncio.to_thread(imported_hashes.verify, algorithm, value, password)


#: Password checks already made for this request, outside its transaction (``checked_in_advance``):
#: (pool id, username, stored ciphertext, password) → whether it matched.
_CHECKED: contextvars.ContextVar[dict[tuple[str, str, bytes, str], bool] | None] = contextvars.ContextVar(
    "userpools_checked_passwords", default=None
)


def password_matches(ctx: Context, user: UserRecord, password: str) -> bool:
    if user.password_ciphertext is None:
        return False
    checked = _CHECKED.get()
    if checked is not None:
        known = checked.get((user.pool_id, user.username, user.password_ciphertext, password))
        if known is not None:
            return known
    return passwords.matches(user.password_ciphertext, user.pool_id, user.username, password, ctx.cipher)


@contextlib.contextmanager
def checked_in_advance(user: UserRecord | None, password: str, ctx: Context) -> Iterator[None]:
    """Checks ``password`` against ``user``'s stored verifier now (one modular exponentiation, before the
    operation's transaction begins) and lets ``password_matches`` reuse the answer inside it while the stored
    verifier is the same bytes. On SQLite every write transaction holds the database's one write lock, which
    all worker processes share: the check then keeps the lock for microseconds instead of a millisecond."""
    checked: dict[tuple[str, str, bytes, str], bool] = {}
    if user is not None and user.password_ciphertext is not None:
        try:
            checked[(user.pool_id, user.username, user.password_ciphertext, password)] = passwords.matches(
                user.password_ciphertext, user.pool_id, user.username, password, ctx.cipher
            )
        except DataKeyError:
            pass  # the transaction's own check raises it, as it would have
    token = _CHECKED.set(checked)
    try:
        yield
    finally:
        _CHECKED.reset(token)


def open_verifier(ctx: Context, user: UserRecord) -> passwords.PasswordVerifier:
    assert user.password_ciphertext is not None
    return passwords.open(user.password_ciphertext, user.pool_id, user.username, ctx.cipher)


def history_size(pool: PoolRecord) -> int:
    return int(((pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}).get("PasswordHistorySize") or 0)


async def dispatch_message(ctx: Context, tx: Transaction, pool: PoolRecord, message: Message,
                           pending: list[Message], *, user: UserRecord, client_id: str | None = None,
                           client_metadata: dict[str, str] | None = None) -> None:
    """Sends one message the way the pool is set up to: through its CustomEmailSender/CustomSMSSender
    trigger (which then sends it; userpools sends nothing itself), or rewritten by its CustomMessage
    trigger, or as rendered from its templates. Everything happens inside the operation's transaction, and
    the outbox records it: a delivery or trigger failure rolls the state change back."""
    sender = "CustomEmailSender" if message.delivery_medium == "EMAIL" else "CustomSMSSender"
    if hooks.has(pool, sender):
        await _custom_sender(ctx, pool, message, sender, user=user, client_id=client_id,
                             client_metadata=client_metadata)
        await ctx.outbox.record(tx, message)
        return
    if hooks.has(pool, "CustomMessage"):
        message = await _custom_message(ctx, pool, message, user=user, client_id=client_id,
                                        client_metadata=client_metadata)
    await ctx.outbox.record(tx, message)
    try:
        await ctx.delivery.deliver(message, pool.settings)
    except DeliveryError as exc:
        log.warning("%s", exc)
        await log_delivery.notification_error(ctx, tx, pool, str(exc), medium=exc.medium)
        raise CodeDeliveryFailureException(
            "Invalid email provided/Unable to send the email" if exc.medium == "EMAIL"
            else "Unable to send the SMS"  # unconfirmed wording for SMS
        ) from None
    pending.append(message)


async def _custom_message(ctx: Context, pool: PoolRecord, message: Message, *, user: UserRecord,
                          client_id: str | None, client_metadata: dict[str, str] | None) -> Message:
    """CustomMessage_*: the function writes the text around the placeholders, which are then filled in.
    emailMessage/emailSubject count only when the pool sends as DEVELOPER; otherwise Cognito answers
    InvalidLambdaResponseException (shared/cognito/recovery.md §4.2)."""
    event = events.custom_message(
        hooks.caller(pool, user.username, client_id), message.trigger_source,
        user_attributes=hooks.attributes(pool, user), client_metadata=client_metadata,
    )
    response = await hooks.run(ctx, pool, "CustomMessage", event) or {}
    code = message.code or ""

    def fill(text: str) -> str:
        return text.replace(events.CODE_PARAMETER, code).replace(events.USERNAME_PARAMETER, user.username)

    if message.delivery_medium == "SMS":
        text = response.get("smsMessage")
        return dataclasses.replace(message, body=fill(text)) if text else message
    subject, body = response.get("emailSubject"), response.get("emailMessage")
    if not subject and not body:
        return message
    if (pool.settings.get("EmailConfiguration") or {}).get("EmailSendingAccount") != "DEVELOPER":
        raise InvalidLambdaResponseException(
            "CustomMessage: emailMessage and emailSubject are allowed only when EmailSendingAccount is DEVELOPER"
        )  # unconfirmed wording; the rule is documented
    return dataclasses.replace(
        message, subject=fill(subject) if subject else message.subject, body=fill(body) if body else message.body
    )


async def _custom_sender(ctx: Context, pool: PoolRecord, message: Message, sender: str, *, user: UserRecord,
                         client_id: str | None, client_metadata: dict[str, str] | None) -> None:
    """CustomEmailSender_/CustomSMSSender_*: the code goes to the function encrypted under the key the
    configuration file sets for the pool's KMSKeyID (userpools.triggers.sender_codes explains decryption)."""
    key = ctx.triggers.config.sender_key_for((pool.settings.get("LambdaConfig") or {}).get("KMSKeyID"))
    if key is None:
        raise UnexpectedLambdaException(
            f"{sender} invocation failed due to error No key is configured to encrypt the code."
        )
    encrypted = SenderCodeCipher(key).encrypt(message.code) if message.code else None
    source = message.trigger_source.replace("CustomMessage_", f"{sender}_")
    build = events.custom_email_sender if sender == "CustomEmailSender" else events.custom_sms_sender
    event = build(hooks.caller(pool, user.username, client_id), source, user_attributes=hooks.attributes(pool, user),
                  encrypted_code=encrypted, client_metadata=client_metadata)
    await hooks.run(ctx, pool, sender, event)


async def send_code(
    ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, *, attribute: str, purpose: str,
    trigger_source: str, pending: list[Message], destination: str | None = None, client_id: str | None = None,
    client_metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Makes a new code (replacing the last one), records the message, returns CodeDeliveryDetails."""
    code = new_code()
    now = ctx.clock.now()
    await tx.codes.put(
        CodeRecord(
            pool_id=pool.id, username_key=user.username_key, purpose=purpose,
            code_hash=ctx.codes.hash(pool.id, user.username_key, purpose, code),
            created_at=now, expires_at=now + CODE_VALIDITY,
        )
    )
    medium = "SMS" if attribute == "phone_number" else "EMAIL"
    message = verification_message(
        pool.settings, pool_id=pool.id, username=user.username, medium=medium,
        destination=destination or user.attributes[attribute], code=code, trigger_source=trigger_source,
    )
    await dispatch_message(ctx, tx, pool, message, pending, user=user, client_id=client_id,
                           client_metadata=client_metadata)
    return code_delivery_details(message, attribute)


async def spend_code(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, purpose: str,
                     code: str) -> None:
    """Checks a code in constant time and deletes it when right (single use)."""
    stored = await tx.codes.get(pool.id, user.username_key, purpose, for_update=True)
    if stored is None or not ctx.codes.matches(stored.code_hash, pool.id, user.username_key, purpose, code):
        raise CodeMismatchException("Invalid verification code provided, please try again.")
    if stored.expires_at <= ctx.clock.now():
        raise ExpiredCodeException("Invalid code provided, please request a code again.")
    await tx.codes.delete(pool.id, user.username_key, purpose)


def auto_verified(pool: PoolRecord) -> list[str]:
    return list(pool.settings.get("AutoVerifiedAttributes") or [])


def verification_target(pool: PoolRecord, user: UserRecord) -> str | None:
    """Which attribute a sign-up code goes to. With both auto-verified, Cognito sends the code by SMS
    (unconfirmed: the console says the phone number is preferred), so the phone comes first."""
    wanted = auto_verified(pool)
    for attribute in ("phone_number", "email"):
        if attribute in wanted and user.attributes.get(attribute):
            return attribute
    return None


PENDING = "pending_attributes"


def with_attribute_update(user: UserRecord, update: Any, now: Any) -> UserRecord:
    """The user after a validated attribute update: new values stored, values that must be verified first
    (AttributesRequireVerificationBeforeUpdate) held in ``extra`` until their code is confirmed."""
    extra = dict(user.extra)
    pending = dict(extra.get(PENDING) or {})
    pending.update(update["pending"])
    for name in update["attributes"].keys() & pending.keys():
        if update["attributes"].get(name) == user.attributes.get(name):
            continue
        pending.pop(name, None)
    if pending:
        extra[PENDING] = pending
    else:
        extra.pop(PENDING, None)
    return dataclasses.replace(user, attributes=update["attributes"], extra=extra, updated_at=now)


async def send_update_codes(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, update: Any,
                            pending: list[Message], *, client_id: str | None = None,
                            client_metadata: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Codes for the attributes an update left to verify, to the held-back value when there is one."""
    held = user.extra.get(PENDING) or {}
    details = []
    for attribute in update["verify"]:
        destination = held.get(attribute) or user.attributes.get(attribute)
        if not destination:
            continue
        details.append(await send_code(
            ctx, tx, pool, user, attribute=attribute, purpose=verify_purpose(attribute),
            trigger_source="CustomMessage_UpdateUserAttribute", pending=pending, destination=destination,
            client_id=client_id, client_metadata=client_metadata,
        ))
    return details


def required_attributes_missing(pool: PoolRecord, attributes: dict[str, str]) -> list[str]:
    """The pool's required attributes the user has no value for (NEW_PASSWORD_REQUIRED asks for them)."""
    return [
        name for name, entry in user_domain.schema(pool.settings).items()
        if entry.get("Required") and name != "sub" and not attributes.get(name)
    ]
