"""Identifiers in Cognito's own formats, from the operating system's CSPRNG.

- pool id: ``<region>_<9 alphanumerics>`` (e.g. ``us-west-2_F54j6m3T2``)
- client id: 26 lowercase alphanumerics (e.g. ``5hu48rd3mbfvr3t6d6r2rchapm``)
- client secret: 51 lowercase alphanumerics (within the model's ``[\\w+]+``, 24–64)
"""

from __future__ import annotations

import secrets
import string
import uuid

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_pool_id(region: str) -> str:
    return f"{region}_{_random(_ALNUM, 9)}"


def new_client_id() -> str:
    return _random(_LOWER_ALNUM, 26)


def new_client_secret() -> str:
    return _random(_LOWER_ALNUM, 51)


def new_uuid() -> str:
    return str(uuid.uuid4())
