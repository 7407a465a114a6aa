"""Users brought in by the UserMigration trigger (UserMigration_ForgotPassword here; sign-in has its own
flow), created from the function's answer as Cognito creates them (shared/cognito/recovery.md §4.3)."""

from __future__ import annotations

from userpools import ids
from userpools.delivery.messages import Message
from userpools.domain import users as user_domain
from userpools.domain.records import ClientRecord, PoolRecord, UserRecord
from userpools.operations import hooks
from userpools.operations.context import Context
from userpools.operations.userstate import dispatch_message, store_aliases
from userpools.storage.ports import Conflict, Transaction
from userpools.triggers import events

FINAL_STATUSES = ("CONFIRMED", "RESET_REQUIRED")


async def migrate_for_forgot_password(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                                      name: str, client_metadata: dict[str, str] | None,
                                      pending: list[Message]) -> UserRecord | None:
    """Asks the pool's UserMigration function about a name no user has; the new user, or None when the
    function knows nobody by that name (an answer without userAttributes)."""
    if not hooks.has(pool, "UserMigration"):
        return None
    event = events.user_migration(hooks.caller(pool, name, client.id), "UserMigration_ForgotPassword",
                                  client_metadata=client_metadata)
    response = await hooks.run(ctx, pool, "UserMigration", event) or {}
    given = response.get("userAttributes")
    if not given:
        return None
    sub = ids.new_uuid()
    username, attributes = user_domain.resolve_sign_up_username(
        pool.settings, name, [{"Name": k, "Value": str(v)} for k, v in given.items() if k != "sub"], sub=sub
    )
    values = user_domain.validate_new_user_attributes(pool.settings, attributes, for_admin=True)
    status = response.get("finalUserStatus") or "RESET_REQUIRED"
    if status not in FINAL_STATUSES:
        status = "RESET_REQUIRED"
    now = ctx.clock.now()
    user = UserRecord(
        pool_id=pool.id, username=username, username_key=user_domain.username_key(pool.settings, username),
        sub=sub, status=status, enabled=True, created_at=now, updated_at=now, attributes=values,
    )
    try:
        await tx.users.insert(user)
    except Conflict:  # created meanwhile by another request: use that one
        return await tx.users.get(pool.id, user.username_key, for_update=True)
    await store_aliases(tx, pool, user, force=bool(response.get("forceAliasCreation")))
    if response.get("messageAction") != "SUPPRESS":
        mediums = tuple(response.get("desiredDeliveryMediums") or ("SMS",))
        await send_welcome(ctx, tx, pool, user, mediums, pending, client_id=client.id)
    return user



# Unconfirmed: Cognito documents that a migrated user gets "the welcome message usually sent to new users"
# unless the function answers messageAction SUPPRESS, but not its text. userpools sends the pool's invitation
# template when the pool has one (there is no temporary password to fill in), else this short welcome.
WELCOME_SUBJECT = "Welcome"
WELCOME_TEXT = "Welcome! Your username is {username}."


async def send_welcome(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, mediums: tuple[str, ...],
                       pending: list[Message], *, client_id: str | None) -> None:
    """The welcome message of a migrated user, by each desired medium it has a destination for (none: no
    message, the migration still succeeds)."""
    template = (pool.settings.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    for medium in mediums:
        attribute = "email" if medium == "EMAIL" else "phone_number"
        destination = user.attributes.get(attribute)
        if not destination:
            continue
        text = (template.get("EmailMessage") if medium == "EMAIL" else template.get("SMSMessage")) or WELCOME_TEXT
        body = text.replace("{username}", user.username).replace("{####}", "")
        message = Message(
            pool_id=pool.id, username=user.username, destination=destination, delivery_medium=medium,
            subject=(template.get("EmailSubject") or WELCOME_SUBJECT) if medium == "EMAIL" else None, body=body,
            code=None, trigger_source="CustomMessage_AdminCreateUser",
        )
        await dispatch_message(ctx, tx, pool, message, pending, user=user, client_id=client_id)
