"""Opaque NextToken values for keyset pagination over ids.

Cognito's tokens are opaque strings; ours are the base64url of a prefix and the last id returned, so a
token from one listing cannot be replayed against another kind of listing.
"""

from __future__ import annotations

import base64
import binascii

from userpools.errors import InvalidParameterException


def encode(kind: str, last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode("ascii")


def decode(kind: str, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    prefix, sep, last_id = text.partition(":")
    if not sep or prefix != kind or not last_id:
        # Unconfirmed wording: Cognito rejects a token it did not issue with InvalidParameterException.
        raise InvalidParameterException("Invalid pagination token.")
    return last_id
