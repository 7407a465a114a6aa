"""What one CPU core does of the cryptography a sign-in cannot avoid, and the floor that puts under each
flow: the most sign-ins per second one core could serve if the server did nothing else.

    python bench/crypto_floor.py [--seconds 1.0] [--json FILE]

Each primitive runs in a tight single-threaded loop: ``repeats`` rounds of about ``seconds / repeats``; the
fastest round is reported (the least disturbed by anything else on the machine).

Exponent sizes are the server's (src/userpools/crypto/srp.py): x and u are SHA-256 outputs and b is
``secrets.randbits(256)``, so every exponentiation the server does is a 3072-bit modulus with an exponent of
at most 256 bits. Modular exponentiations per flow, counted from that code:

- USER_PASSWORD_AUTH: 1, the verifier recomputed from the password, v' = g^x;
- USER_SRP_AUTH: 3. InitiateAuth: g^b (B = k·v + g^b is one more multiply-add, not an exponentiation);
  RespondToAuthChallenge: v^u, then (A·v^u)^b (the ·A is one modular multiplication). The client's A and
  its proof cost the server nothing but hashes.

The server computes every g^e (g^x, g^b) from precomputed tables of g's powers (``srp.g_pow``: 32 modular
multiplications, no squaring), so each flow has two floors: the issue's, with gmpy2's general modexp for
g^e, and the server's own (``server``), with the tables. The second is the lower and the stricter.

Both flows then sign two RS256 JWTs (access and ID token) and seal one refresh token with AES-256-GCM; both
open the stored verifier (AES-GCM, 400 bytes) first, and SRP also seals and opens SECRET_BLOCK.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gmpy2
import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from userpools.crypto import srp

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)


def rate(fn: Callable[[], object], seconds: float, repeats: int = 5) -> float:
    """CPU seconds per call: the fastest of ``repeats`` rounds, each about ``seconds / repeats`` long.

    Timed in this thread's CPU time (``time.thread_time``), the clock the servers' ``CPU ms/it`` is read in:
    on a machine shared with other work, wall time would count the time the scheduler gave to others and
    put the floor above what the server itself spends (seen here: 0.94 ms per RS256 signature by wall time
    at a load average of 10 on 2 CPUs, for a server that spent 0.68 ms on a whole token request)."""
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < 0.05 or calls < 3:  # calibrate a batch of ~50 ms
        fn()
        calls += 1
    batch = max(1, int(calls * (seconds / repeats) / (time.perf_counter() - started)))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.thread_time()
        for _ in range(batch):
            fn()
        best = min(best, (time.thread_time() - t0) / batch)
    return best


def primitives(seconds: float, only: frozenset[str] | None = None) -> dict[str, float]:
    """Seconds per operation of each primitive, keyed by a stable name (of those in ``only``, if given)."""
    exponents = [secrets.randbits(256) | (1 << 255) for _ in range(64)]  # full 256-bit, as b, u and x are
    bases = [secrets.randbelow(N - 2) + 2 for _ in range(64)]  # a verifier, or A·v^u: any number mod N
    mpz_n, mpz_g = gmpy2.mpz(N), gmpy2.mpz(2)
    mpz_exponents, mpz_bases = [gmpy2.mpz(e) for e in exponents], [gmpy2.mpz(b) for b in bases]
    i = [0]

    def nxt() -> int:
        i[0] = (i[0] + 1) & 63
        return i[0]

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    signing_input = secrets.token_urlsafe(700).encode()  # an ID token's header.payload is 700-1,000 chars
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    refresh_body = secrets.token_bytes(200)
    verifier_entry = aead.encrypt(nonce := os.urandom(12), secrets.token_bytes(400), b"password")

    totp, now = pyotp.TOTP(pyotp.random_base32(32)), int(time.time())
    if only is None or "modexp_g_table" in only:
        srp.g_pow(1)  # the tables are built once per process, before the clock starts
    calls: dict[str, Callable[[], object]] = {
        "modexp_g_table": lambda: srp.g_pow(exponents[nxt()]),
        "modexp_g_gmpy2": lambda: gmpy2.powmod(mpz_g, mpz_exponents[nxt()], mpz_n),
        "modexp_g_pow": lambda: pow(2, exponents[nxt()], N),
        "modexp_any_gmpy2": lambda: gmpy2.powmod(mpz_bases[nxt()], mpz_exponents[i[0]], mpz_n),
        "modexp_any_pow": lambda: pow(bases[nxt()], exponents[i[0]], N),
        "modmul_gmpy2": lambda: mpz_bases[nxt()] * mpz_bases[(i[0] + 1) & 63] % mpz_n,
        "rs256_sign": lambda: key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()),
        "rs256_verify": lambda: public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256()),
        "aesgcm_seal_200": lambda: aead.encrypt(os.urandom(12), refresh_body, b"refresh-token"),
        "aesgcm_open_400": lambda: aead.decrypt(nonce, verifier_entry, b"password"),
        # a software-token code checked as a server must: the codes of the step before, now and after
        "totp_check": lambda: [totp.at(now + d * 30) == "000000" for d in (-1, 0, 1)],
    }
    return {name: rate(call, seconds) for name, call in calls.items() if only is None or name in only}


LABELS = {
    "modexp_g_table": "3072-bit g^e, 256-bit exponent, from tables (srp.g_pow)",
    "modexp_g_gmpy2": "3072-bit modexp, 256-bit exponent, base g=2 (gmpy2.powmod)",
    "modexp_g_pow": "3072-bit modexp, 256-bit exponent, base g=2 (built-in pow)",
    "modexp_any_gmpy2": "3072-bit modexp, 256-bit exponent, any base (gmpy2.powmod)",
    "modexp_any_pow": "3072-bit modexp, 256-bit exponent, any base (built-in pow)",
    "modmul_gmpy2": "3072-bit modular multiply (gmpy2): B = k·v + g^b, A·v^u",
    "rs256_sign": "RS256 sign, 2048-bit key (cryptography)",
    "rs256_verify": "RS256 verify, 2048-bit key (cryptography)",
    "aesgcm_seal_200": "AES-256-GCM seal, 200 bytes (a refresh token)",
    "aesgcm_open_400": "AES-256-GCM open, 400 bytes (the stored salt and verifier)",
    "totp_check": "TOTP check, 3 steps of skew (pyotp: 3 HMAC-SHA1)",
}


#: the libraries a floor is given for (``floors``)
LIBS = ("server", "gmpy2", "pow")


def floors(p: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per flow: the operations it must do (name → count) and the seconds they add up to: ``server`` as the
    server computes them (g^e from tables, any other modexp with gmpy2), ``gmpy2`` with gmpy2.powmod for
    every modexp (the issue's floor), ``pow`` with the built-in pow for comparison. With only some
    primitives measured (``--flows``), only the flows and libraries they add up for."""
    out: dict[str, dict[str, Any]] = {}
    for flow, (what, core, extra) in RECIPES.items():
        per_lib = {}
        for lib in LIBS:
            names = [_primitive(name, lib) for name in core]
            if all(name in p for name in names):
                total = sum(p[_primitive(name, lib)] * count for name, count in core.items())
                per_lib[lib] = {"ms": total * 1e3, "per_s_per_core": 1 / total}
        if "gmpy2" not in per_lib:
            continue
        out[flow] = {
            "counted": what,
            "ops": core,
            **per_lib,
            "symmetric_extra_ms": sum(p.get(name, 0.0) * count for name, count in extra.items()) * 1e3,
            "symmetric_extra": extra,
        }
    return out


def needed(flows: list[str]) -> frozenset[str]:
    """The primitives the floors of ``flows`` add up (for the libraries the server and the issue use)."""
    unknown = [flow for flow in flows if flow not in RECIPES]
    if unknown:
        raise ValueError(f"no such flow: {', '.join(unknown)} (known: {', '.join(RECIPES)})")
    return frozenset(_primitive(name, lib) for flow in flows for name in RECIPES[flow][1] for lib in ("server", "gmpy2"))


#: flow → (what it counts, its primitives and how many of each, the symmetric extras it also does)
RECIPES: dict[str, tuple[str, dict[str, int], dict[str, int]]] = {
    "USER_PASSWORD_AUTH sign-in": (
        "1 modexp (g^x) + 2 RS256 signatures",
        {"modexp_g": 1, "rs256_sign": 2},
        {"aesgcm_open_400": 1, "aesgcm_seal_200": 1},
    ),
    "USER_SRP_AUTH sign-in (both calls)": (
        "3 modexps (g^b; v^u; (A·v^u)^b) + 2 RS256 signatures",
        {"modexp_g": 1, "modexp_any": 2, "rs256_sign": 2},
        {"aesgcm_open_400": 2, "aesgcm_seal_200": 2, "modmul_gmpy2": 2},
    ),
    "SOFTWARE_TOKEN_MFA sign-in (both calls)": (
        "1 modexp (g^x: USER_PASSWORD_AUTH) + 1 TOTP check + 2 RS256 signatures",
        {"modexp_g": 1, "totp_check": 1, "rs256_sign": 2},
        {"aesgcm_open_400": 1, "aesgcm_seal_200": 1},
    ),
    "USER_AUTH EMAIL_OTP sign-in (both calls)": (
        "2 RS256 signatures (the code is compared, not computed)",
        {"rs256_sign": 2},
        {"aesgcm_seal_200": 1},
    ),
    "REFRESH_TOKEN_AUTH": (
        "2 RS256 signatures (access and ID token; no new refresh token)",
        {"rs256_sign": 2},
        {"aesgcm_open_400": 1},
    ),
    "GetUser": ("1 RS256 verification of the access token", {"rs256_verify": 1}, {}),
    "client_credentials token": ("1 RS256 signature (the access token)", {"rs256_sign": 1}, {}),
    "hosted sign-in (authorization code)": (
        "1 modexp (g^x: the password checked on POST /login) + 2 RS256 signatures (the code's tokens)",
        {"modexp_g": 1, "rs256_sign": 2},
        {"aesgcm_open_400": 1, "aesgcm_seal_200": 1},
    ),
}


def _primitive(name: str, lib: str) -> str:
    if not name.startswith("modexp"):
        return name
    if lib == "server":
        return "modexp_g_table" if name == "modexp_g" else f"{name}_gmpy2"
    return f"{name}_{lib}"


def _cell(figures: dict[str, float] | None, key: str, width: int, form: str, times: int = 1) -> str:
    return f"{figures[key] * times:>{width}{form}}" if figures else f"{'–':>{width}}"


def render(p: dict[str, float], f: dict[str, dict[str, Any]]) -> str:
    cpus = os.cpu_count() or 1
    lines = [
        (
            f"one core of {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"gmpy2 {gmpy2.version()}, {cpus} CPUs on this host"
        ),
        "",
        f"{'primitive':<62}{'ops/s':>12}{'ms/op':>10}",
    ]
    lines.append("-" * len(lines[-1]))
    for name, seconds in p.items():
        lines.append(f"{LABELS[name]:<62}{1 / seconds:>12,.0f}{seconds * 1e3:>10.3f}")
    lines += [
        "",
        (
            f"{'floor per request (one core)':<36}{'ms server':>10}{'/s server':>10}{'ms gmpy2':>10}"
            f"{'/s gmpy2':>10}{'ms pow':>9}{'/s pow':>9}{'/s, all ' + str(cpus) + ' CPUs':>16}"
        ),
    ]
    lines.append("-" * len(lines[-1]))
    for flow, row in f.items():
        t, g, b = row.get("server"), row["gmpy2"], row.get("pow")
        lines.append(
            f"{flow:<36}{_cell(t, 'ms', 10, '.3f')}{_cell(t, 'per_s_per_core', 10, ',.0f')}{g['ms']:>10.3f}"
            f"{g['per_s_per_core']:>10,.0f}{_cell(b, 'ms', 9, '.3f')}{_cell(b, 'per_s_per_core', 9, ',.0f')}"
            f"{_cell(t, 'per_s_per_core', 16, ',.0f', cpus)}"
        )
        lines.append(f"  = {row['counted']}; AES-GCM and multiplies add {row['symmetric_extra_ms']:.3f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent measuring each primitive")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--flows",
        metavar="FLOW,…",
        help="only the primitives the floors of these flows need (comma-separated names as printed), with "
        "gmpy2's and the server's g^e: what compare.py measures between the slices of a run",
    )
    args = parser.parse_args(argv)
    try:
        only = needed(args.flows.split(",")) if args.flows else None
    except ValueError as exc:
        parser.error(str(exc))
    p = primitives(args.seconds, only)
    f = floors(p)
    print(render(p, f))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "host": {
                        "cpu_count": os.cpu_count(),
                        "machine": platform.machine(),
                        "python": platform.python_version(),
                        "gmpy2": gmpy2.version(),
                    },
                    "primitives": {
                        name: {"label": LABELS[name], "ms_per_op": s * 1e3, "ops_per_s": 1 / s}
                        for name, s in p.items()
                    },
                    "floors": f,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
