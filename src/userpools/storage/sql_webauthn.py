"""Users' passkeys (``webauthn_credentials``) on SQLAlchemy Core: the ``WebAuthnCredentialPort``.

The same rules as ``storage.sql``: statements built once; the insert is ``INSERT … ON CONFLICT DO NOTHING`` that
reports ``Conflict`` when no row went in. A user's passkeys are one range of the primary key. A registration and
a deletion are journaled for point-in-time recovery (``storage.sql_journal``; a recovery's hold refuses them);
the signature counter a sign-in moves is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import WebAuthnCredentialRecord
from userpools.storage.schema import webauthn_credentials
from userpools.storage.sql_journal import Journal, passkey_state
from userpools.storage.sql_users import dialect_insert, from_micros, insert_or_conflict, to_micros

_W = webauthn_credentials.c
_COLUMNS = (_W.pool_id, _W.username_key, _W.credential_id, _W.public_key, _W.sign_count, _W.relying_party_id,
            _W.friendly_name, _W.transports, _W.created_at, _W.attachment)
_THE_USER = (_W.pool_id == bindparam("b_pool_id")) & (_W.username_key == bindparam("b_username_key"))
_THE_ONE = _THE_USER & (_W.credential_id == bindparam("b_credential_id"))
_LIST = select(*_COLUMNS).where(_THE_USER).order_by(_W.created_at, _W.credential_id)
_SET_COUNT = update(webauthn_credentials).where(_THE_ONE).values(sign_count=bindparam("sign_count"))
_DELETE = delete(webauthn_credentials).where(_THE_ONE)


class WebAuthnStatements:
    """The dialect's insert statement for the table."""

    def __init__(self, dialect_name: str) -> None:
        self.insert: Insert = dialect_insert(dialect_name)(webauthn_credentials).on_conflict_do_nothing(
            index_elements=[_W.pool_id, _W.username_key, _W.credential_id]
        )


def _transports(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        value = orjson.loads(value)
    return tuple(str(t) for t in value or ())


def _credential(row: Row[Any]) -> WebAuthnCredentialRecord:
    return WebAuthnCredentialRecord(
        pool_id=row[0], username_key=row[1], credential_id=row[2], public_key=bytes(row[3]),
        sign_count=int(row[4]), relying_party_id=row[5], friendly_name=row[6], transports=_transports(row[7]),
        created_at=from_micros(row[8]), attachment=row[9],
    )


class SqlWebAuthnCredentials:
    __slots__ = ("_conn", "_journal", "_statements")

    def __init__(self, conn: AsyncConnection, statements: WebAuthnStatements, journal: Journal) -> None:
        self._conn = conn
        self._statements = statements
        self._journal = journal

    async def insert(self, credential: WebAuthnCredentialRecord) -> None:
        values = {
            "pool_id": credential.pool_id,
            "username_key": credential.username_key,
            "credential_id": credential.credential_id,
            "public_key": credential.public_key,
            "sign_count": credential.sign_count,
            "relying_party_id": credential.relying_party_id,
            "friendly_name": credential.friendly_name,
            "attachment": credential.attachment,
            "transports": list(credential.transports),
            "created_at": to_micros(credential.created_at),
        }
        await insert_or_conflict(self._conn, self._statements.insert, values,
                                 f"passkey {credential.credential_id!r}")
        await self._journal.append(self._conn, credential.pool_id, credential.username_key, "",
                                   passkey_state(credential), credential_id=credential.credential_id)

    async def list(self, pool_id: str, username_key: str) -> Sequence[WebAuthnCredentialRecord]:
        params = {"b_pool_id": pool_id, "b_username_key": username_key}
        return [_credential(row) for row in await self._conn.execute(_LIST, params)]

    async def set_sign_count(self, pool_id: str, username_key: str, credential_id: str, sign_count: int) -> None:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_credential_id": credential_id,
                  "sign_count": sign_count}
        await self._conn.execute(_SET_COUNT, params)

    async def delete(self, pool_id: str, username_key: str, credential_id: str) -> bool:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_credential_id": credential_id}
        result = await self._conn.execute(_DELETE, params)
        if not result.rowcount:
            return False
        await self._journal.append(self._conn, pool_id, username_key, "", None, credential_id=credential_id)
        return True
