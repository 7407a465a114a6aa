"""RS256 JSON Web Signatures in Cognito's byte layout, and the pool's signing keys in memory.

- Header exactly ``{"kid":"…","alg":"RS256"}`` (Cognito's order; PyJWT's ``encode`` always writes ``alg``
  first, so the compact form is assembled here and only the RS256 algorithm comes from PyJWT).
- Payload compact JSON in the caller's key order, non-ASCII kept as UTF-8 and ``/`` escaped as ``\\/`` as
  Cognito's serializer does (``"iss":"https:\\/\\/cognito-idp…"`` in every real token) — cosmetic, any JSON
  parser reads it back unchanged.
- Private keys are decrypted and parsed once per (data key, kid) and kept in a bounded cache that lives with
  the ``DataKeyCipher`` object: loading a PEM costs milliseconds, a signature well under one.

The errors are this module's own (``TokenError`` and four subclasses); ``domain.tokens`` turns them into
Cognito's messages.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_decode

from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.keys import private_key_context
from userpools.crypto.signing_process import ProcessSigner
from userpools.domain.records import SigningKeyRecord
from userpools.ids import b64url

_log = logging.getLogger("userpools.signing")

ALGORITHM = "RS256"
_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_HEADER_MEMBERS = frozenset({"kid", "alg", "typ"})
_CACHE_SIZE = 4096  # private keys per data key (two per pool, plus retired ones)


class TokenError(ValueError):
    """A token this server cannot accept. ``reason`` is a stable word for logs and tests."""

    reason = "invalid"


class MalformedToken(TokenError):
    reason = "malformed"


class UnknownKid(TokenError):
    reason = "unknown_kid"


class BadSignature(TokenError):
    reason = "bad_signature"


class ExpiredToken(TokenError):
    reason = "expired"


# --- keys ---------------------------------------------------------------------------------------------

_private_cache: weakref.WeakKeyDictionary[DataKeyCipher, OrderedDict[tuple[str, bytes], RSAPrivateKey]] = (
    weakref.WeakKeyDictionary()
)
_public_cache: OrderedDict[tuple[str, str, str], RSAPublicKey] = OrderedDict()


def _load_private(record: SigningKeyRecord, cipher: DataKeyCipher) -> RSAPrivateKey:
    """Decrypts and parses a private key once; raises DataKeyError when the data key does not open it."""
    cache = _private_cache.setdefault(cipher, OrderedDict())
    slot = (record.kid, record.private_key_ciphertext)
    key = cache.get(slot)
    if key is not None:
        cache.move_to_end(slot)
        return key
    pem = cipher.decrypt(record.private_key_ciphertext, context=private_key_context(record.kid))
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, RSAPrivateKey):
        raise TypeError(f"signing key {record.kid} is not an RSA key")
    cache[slot] = loaded
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return loaded


def _load_public(jwk: Mapping[str, Any]) -> RSAPublicKey:
    slot = (str(jwk["kid"]), str(jwk["n"]), str(jwk["e"]))
    key = _public_cache.get(slot)
    if key is None:
        loaded = RSAAlgorithm.from_jwk(dict(jwk))
        if not isinstance(loaded, RSAPublicKey):
            raise TypeError(f"JWK {slot[0]} is not an RSA public key")
        key = _public_cache[slot] = loaded
        if len(_public_cache) > _CACHE_SIZE:
            _public_cache.popitem(last=False)
    return key


class SigningKeys:
    """One pool's keys: the newest active key per purpose signs, every key (retired too) verifies.

    Build it from ``SigningKeyPort.list(pool_id)`` for each request; the expensive part (decrypting and parsing
    the private PEM) happens at most once per key and data key, on first use.
    """

    def __init__(self, records: Iterable[SigningKeyRecord], cipher: DataKeyCipher) -> None:
        self._cipher = cipher
        self._records = {r.kid: r for r in records}
        self._signing: dict[str, SigningKeyRecord] = {}
        for record in sorted(self._records.values(), key=lambda r: r.created_at):
            if record.active:
                self._signing[record.purpose] = record  # the newest active key of each purpose wins

    def for_purpose(self, purpose: str) -> tuple[str, RSAPrivateKey]:
        """(kid, private key) that signs tokens of ``purpose`` ("id" or "access"). LookupError if none."""
        record = self._signing.get(purpose)
        if record is None:
            raise LookupError(f"no active {purpose!r} signing key")
        return record.kid, _load_private(record, self._cipher)

    def public_by_kid(self, kid: str) -> RSAPublicKey | None:
        record = self._records.get(kid)
        return None if record is None else _load_public(record.public_jwk)

    def purpose_of(self, kid: str) -> str | None:
        record = self._records.get(kid)
        return None if record is None else record.purpose


# --- signing and verifying ----------------------------------------------------------------------------


def _json(value: Mapping[str, Any]) -> bytes:
    return orjson.dumps(value).replace(b"/", b"\\/")


def _signing_input(claims: Mapping[str, Any], kid: str) -> bytes:
    header = _headers.get(kid)
    if header is None:
        header = b64url(b'{"kid":' + orjson.dumps(kid) + b',"alg":"RS256"}') + b"."
        if len(_headers) < _CACHE_SIZE:
            _headers[kid] = header
    return header + b64url(_json(claims))


#: kid → the encoded protected header of the tokens it signs, and its dot
_headers: dict[str, bytes] = {}


def _compact(signing_input: bytes, signature: bytes) -> str:
    return (signing_input + b"." + b64url(signature)).decode("ascii")


def sign(claims: Mapping[str, Any], kid: str, private_key: RSAPrivateKey) -> str:
    """A compact RS256 JWS of ``claims`` (key order kept) with header ``{"kid","alg"}``."""
    signing_input = _signing_input(claims, kid)
    # what PyJWT's RSAAlgorithm.sign does (PKCS#1 v1.5 with SHA-256), with this module's padding and hash
    # objects instead of two made per signature
    return _compact(signing_input, private_key.sign(signing_input, _PKCS1V15, _SHA256))


#: The DeferredTokens made while one request is served (see ``collecting``), for a Signer to sign together.
_MADE: ContextVar[list[DeferredToken] | None] = ContextVar("userpools_deferred_tokens", default=None)


class DeferredToken:
    """A compact RS256 JWS of ``claims`` signed when it is first turned into text (``str``), not when made.

    Operations issue tokens inside their transaction, but the signatures (two RS256 per sign-in, most of its
    CPU) need nothing from the store: deferred, they are computed after the commit (by a Signer, or else when
    the response is serialised), so a transaction holds its locks (on SQLite the database's one write lock,
    which every worker process shares) only for its own statements."""

    __slots__ = ("_after", "_claims", "_key", "_kid", "_text")

    #: The response serialiser (protocol.json11) writes such a value as its text, without importing this.
    serialises_as_text: ClassVar[bool] = True

    def __init__(self, claims: Mapping[str, Any], kid: str, private_key: RSAPrivateKey, *,
                 after: tuple[DeferredToken, Callable[[dict[str, Any], str], None]] | None = None) -> None:
        """``after``: (another token, a completion): a claim of this one is made from the other's text
        (an ID token's at_hash), so the other is signed first and ``completion(claims, its text)`` fills the
        claim in; ``claims`` is then a dict of this token's own."""
        self._claims: Mapping[str, Any] | None = claims
        self._kid = kid
        self._key = private_key
        self._text: str | None = None
        self._after = after
        made = _MADE.get()
        if made is not None:
            made.append(self)

    def _complete(self) -> Mapping[str, Any]:
        """The claims to sign, the one made from the token signed before filled in."""
        claims = self._claims
        assert claims is not None
        if self._after is not None:
            first, completion = self._after
            completion(claims, str(first))  # type: ignore[arg-type]
            self._after = None
        return claims

    def __str__(self) -> str:
        if self._text is None:
            self._text = sign(self._complete(), self._kid, self._key)
            self._claims = None
        return self._text

    def __repr__(self) -> str:
        return f"DeferredToken(kid={self._kid!r}, signed={self._text is not None})"


@contextlib.contextmanager
def collecting() -> Iterator[list[DeferredToken]]:
    """The DeferredTokens made inside the block (in this task, and in tasks it starts), in a list."""
    made: list[DeferredToken] = []
    reset = _MADE.set(made)
    try:
        yield made
    finally:
        _MADE.reset(reset)


def rsa_signatures(work: tuple[tuple[RSAPrivateKey, bytes], ...]) -> list[bytes]:
    # On a thread only the RSA operations run (cryptography releases the GIL for each): the thread takes
    # the GIL back as seldom as possible while the event loop holds it.
    return [key.sign(signing_input, _PKCS1V15, _SHA256) for key, signing_input in work]


class Signer:
    """Signs a response's DeferredTokens beside the event loop: in a helper process
    (``signing_process.ProcessSigner``: no GIL shared, the default of a single server process on a machine
    with CPUs to spare) or on threads of its own (``cryptography`` releases the GIL while OpenSSL computes an
    RSA signature, but each thread takes the GIL back to hand its result over). With neither (``threads=0``,
    no process: as many server processes as CPUs) the tokens are signed on the loop, as they are serialised."""

    def __init__(self, threads: int = 0, *, process: ProcessSigner | None = None) -> None:
        self._process = process
        self._pool = (ThreadPoolExecutor(threads, thread_name_prefix="userpools-rs256")
                      if threads > 0 and process is None else None)

    @property
    def active(self) -> bool:
        """Whether it signs anything; else there is nothing to collect for it."""
        return self._pool is not None or self._process is not None

    async def start(self) -> None:
        """Starts the helper process, if it has one (on the running event loop, which it then belongs to);
        one that cannot start leaves the tokens to the loop."""
        if self._process is not None:
            try:
                await self._process.start()
            except OSError as exc:
                _log.warning("no signing process (%s): tokens are signed on the event loop", exc)
                self._process.close()
                self._process = None

    async def sign(self, tokens: list[DeferredToken]) -> None:
        unsigned = [token for token in tokens if token._text is None and token._claims is not None]
        if not self.active or not unsigned:
            return
        # The helper process is worth its hop for two signatures or more (a sign-in's, a refresh's, an
        # authorization code's): the hop costs the loop about 50 µs (two system calls, each waking the other
        # side), a sixth of one signature's 0.3 ms. A lone token (client_credentials, GetDerivedToken) is
        # signed on the loop: measured on the 2-CPU VM, sending it too gave 19% more tokens/s at 19% more CPU
        # each (0.46 ms against 0.39).
        to_process = len(unsigned) > 1
        # a token completed from another one's text (DeferredToken's ``after``) is signed once that one is
        await self._sign([token for token in unsigned if token._after is None], to_process)
        await self._sign([token for token in unsigned if token._after is not None and token._text is None],
                         to_process)

    async def _sign(self, tokens: list[DeferredToken], to_process: bool) -> None:
        if not tokens:
            return
        work = tuple((token._key, _signing_input(token._complete(), token._kid)) for token in tokens)
        signatures = None
        if self._process is not None:
            if to_process:
                signatures = await self._process.signatures(work)
        elif self._pool is not None:
            signatures = await asyncio.get_running_loop().run_in_executor(self._pool, rsa_signatures, work)
        if signatures is None:  # a lone token, or the helper process has stopped: on the loop
            signatures = rsa_signatures(work)
        for token, (_key, signing_input), signature in zip(tokens, work, signatures, strict=True):
            token._text = _compact(signing_input, signature)
            token._claims = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._process is not None:
            self._process.close()


def _b64json(segment: str) -> Any:
    try:
        return orjson.loads(base64url_decode(segment.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        raise MalformedToken("not base64url JSON") from None


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) WITHOUT checking the signature — only to find which pool's keys to verify with."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise MalformedToken("not a compact JWS")
    header_segment, payload_segment, _ = token.split(".")
    header, claims = _b64json(header_segment), _b64json(payload_segment)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedToken("header or payload is not a JSON object")
    return header, claims


def verify(token: str, keys: SigningKeys, *, now: datetime, leeway: int = 0) -> dict[str, Any]:
    """The token's claims once its RS256 signature checks against ``keys`` and ``exp`` is still ahead of
    ``now`` (by ``leeway`` seconds of grace). Raises MalformedToken, UnknownKid, BadSignature, ExpiredToken."""
    header, claims = peek(token)
    if header.get("alg") != ALGORITHM or not _HEADER_MEMBERS.issuperset(header):
        raise MalformedToken("unexpected header")  # no "none", no HS256 key confusion, no b64/crit games
    kid = header.get("kid")
    public = keys.public_by_kid(kid) if isinstance(kid, str) else None
    if public is None:
        raise UnknownKid("no key with this kid")
    # The segments were decoded once by peek; PyJWT's RS256 checks the signature over them as sent.
    signing_input, _, signature_segment = token.rpartition(".")
    try:
        signature = base64url_decode(signature_segment.encode("ascii"))
    except (ValueError, UnicodeError, binascii.Error):
        raise MalformedToken("signature is not base64url") from None
    if not _RS256.verify(signing_input.encode("ascii"), public, signature):
        raise BadSignature("signature does not verify")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise MalformedToken("no numeric exp")
    if exp + leeway <= int(now.timestamp()):
        raise ExpiredToken("token has expired")
    return claims
