"""Log delivery: SetLogDeliveryConfiguration, GetLogDeliveryConfiguration, and the records they send.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Where the destinations go on this server: ``delivery.logs``.

Two event sources, as Cognito has them (shared/cognito/admin-misc.md §5):

- ``userNotification`` (LogLevel ERROR, to a CloudWatch log group): one record per message that could not be
  delivered (an email the SMTP relay refused, an SMS the webhook did not take), any tier;
- ``userAuthEvents`` (LogLevel INFO, to CloudWatch, S3 or Firehose; the Plus tier): one record per auth event
  threat protection records (sign-ins, and the recovery events), with its risk assessment.

The records (one JSON object per line) follow the fields of Cognito's exported user activity logs as far as
they are known [U: field names and layout are userpools' reading; see docs/compatibility.md]:
``{"eventTimestamp": "<epoch ms>", "eventSource": "USER_AUTH_EVENTS", "logLevel": "INFO", "eventId", "eventType",
"eventResponse", "userPoolId", "clientId", "userName", "userSub", "riskDecision", "riskLevel",
"compromisedCredentialDetected", "ipAddress", "deviceName", "logSourceVersion"}`` and
``{"eventTimestamp", "eventSource": "USER_NOTIFICATION", "logLevel": "ERROR", "message", "userPoolId",
"deliveryMedium", "logSourceVersion"}``.
"""

from __future__ import annotations

from typing import Any

from userpools.delivery.logs import LogWriter
from userpools.domain.records import AuthEventRecord, PoolRecord, UserRecord
from userpools.domain.resources import LOG_DELIVERY, PoolResource, log_delivery_key
from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Transaction

USER_NOTIFICATION = "userNotification"
USER_AUTH_EVENTS = "userAuthEvents"
_DESTINATIONS = ("CloudWatchLogsConfiguration", "S3Configuration", "FirehoseConfiguration")
_ARN_PARTS = {
    "CloudWatchLogsConfiguration": ("LogGroupArn", "arn:aws:logs:", ":log-group:"),
    "S3Configuration": ("BucketArn", "arn:aws:s3:::", ""),
    "FirehoseConfiguration": ("StreamArn", "arn:aws:firehose:", ":deliverystream/"),
}


def _check(pool: PoolRecord, configurations: list[dict[str, Any]]) -> None:
    """Cognito's rules for a LogConfigurations list [C: BC; U: wording]."""
    sources = [c["EventSource"] for c in configurations]
    if len(set(sources)) != len(sources):
        raise InvalidParameterException("Each event source can have only one log configuration.")
    for item in configurations:
        given = [d for d in _DESTINATIONS if item.get(d)]
        if len(given) != 1:
            raise InvalidParameterException(
                "A log configuration needs exactly one of CloudWatchLogsConfiguration, S3Configuration and "
                "FirehoseConfiguration."
            )
        member, prefix, marker = _ARN_PARTS[given[0]]
        arn = str(item[given[0]].get(member) or "")
        if not arn.startswith(prefix) or (marker and marker not in arn) or len(arn) <= len(prefix):
            raise InvalidParameterException(f"{given[0]}.{member} is not a valid ARN: {arn}")
        if item["EventSource"] == USER_NOTIFICATION:
            if item["LogLevel"] != "ERROR":
                raise InvalidParameterException("userNotification logs have the log level ERROR.")
            if given[0] != "CloudWatchLogsConfiguration":
                raise InvalidParameterException("userNotification logs can only be sent to CloudWatch Logs.")
        else:
            if item["LogLevel"] != "INFO":
                raise InvalidParameterException("userAuthEvents logs have the log level INFO.")
            if pool.settings.get("UserPoolTier") != "PLUS":
                raise FeatureUnavailableInTierException(
                    "Exporting user activity logs (userAuthEvents) requires the Plus feature plan."
                )


async def set_log_delivery_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetLogDeliveryConfiguration: replaces the pool's log configurations as a whole."""
    configurations = list(req.get("LogConfigurations") or [])
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _check(pool, configurations)
        key = log_delivery_key(pool.id)
        now = ctx.clock.now()
        found = await tx.resources.get(LOG_DELIVERY, key, for_update=True)
        document = {"LogConfigurations": configurations}
        if found is None:
            await tx.resources.insert(PoolResource(LOG_DELIVERY, key, pool.id, now, now, document))
        else:
            await tx.resources.update(PoolResource(LOG_DELIVERY, key, pool.id, found.created_at, now, document))
    return {"LogDeliveryConfiguration": {"UserPoolId": pool.id, "LogConfigurations": configurations}}


async def get_log_delivery_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetLogDeliveryConfiguration: the configurations last set (none: an empty list [U])."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await tx.resources.get(LOG_DELIVERY, log_delivery_key(pool.id))
    configurations = found.document.get("LogConfigurations", []) if found else []
    return {"LogDeliveryConfiguration": {"UserPoolId": pool.id, "LogConfigurations": configurations}}


# --- the records -----------------------------------------------------------------------------------------


async def _configuration(tx: Transaction, pool_id: str, source: str) -> dict[str, Any] | None:
    found = await tx.resources.get(LOG_DELIVERY, log_delivery_key(pool_id))
    for item in (found.document.get("LogConfigurations") or []) if found else []:
        if item.get("EventSource") == source:
            return dict(item)
    return None


def _millis(ctx: Context) -> str:
    return str(int(ctx.clock.now().timestamp() * 1000))


async def auth_event(ctx: Context, tx: Transaction, pool: PoolRecord, event: AuthEventRecord,
                     user: UserRecord) -> None:
    """The userAuthEvents record of an auth event, when the pool sends them somewhere."""
    configuration = await _configuration(tx, pool.id, USER_AUTH_EVENTS)
    if configuration is None:
        return
    event_risk = event.context.get("EventRisk") or {}
    record: dict[str, Any] = {
        "eventTimestamp": str(int(event.created_at.timestamp() * 1000)),
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "logSourceVersion": "1.0",
        "eventId": event.id,
        "eventType": event.event_type,
        "eventResponse": event.response,
        "userPoolId": pool.id,
        "clientId": event.context.get("ClientId"),
        "userName": user.username,
        "userSub": user.sub,
        "ipAddress": event.context.get("IpAddress"),
        "deviceName": event.context.get("DeviceName"),
    }
    if event_risk:
        record |= {
            "riskDecision": event_risk.get("RiskDecision"),
            "riskLevel": event_risk.get("RiskLevel"),
            "compromisedCredentialDetected": bool(event_risk.get("CompromisedCredentialsDetected")),
        }
    LogWriter(ctx.settings.log_dir).write(configuration, record, event_source=USER_AUTH_EVENTS,
                                          at=event.created_at)


async def notification_error(ctx: Context, tx: Transaction, pool: PoolRecord, text: str, *, medium: str) -> None:
    """The userNotification record of a message that could not be delivered."""
    configuration = await _configuration(tx, pool.id, USER_NOTIFICATION)
    if configuration is None:
        return
    record = {
        "eventTimestamp": _millis(ctx),
        "eventSource": "USER_NOTIFICATION",
        "logLevel": "ERROR",
        "logSourceVersion": "1.0",
        "message": text,
        "userPoolId": pool.id,
        "deliveryMedium": medium,
    }
    LogWriter(ctx.settings.log_dir).write(configuration, record, event_source=USER_NOTIFICATION,
                                          at=ctx.clock.now())
