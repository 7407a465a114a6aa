"""crypto.signing_process: the helper process's answers are the signatures the loop would have computed
(RSA PKCS#1 v1.5 is deterministic), whatever the keys, sizes and interleaving; a full key table is cleared on
both sides; a helper that is gone gives None, and the Signer then signs on the loop."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from userpools.crypto import signing_process
from userpools.crypto.jwt import DeferredToken, Signer, collecting, rsa_signatures, sign
from userpools.crypto.signing_process import ProcessSigner

KEYS = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


def run(body):  # type: ignore[no-untyped-def]
    return asyncio.run(body())


def test_the_helper_signs_what_the_loop_would_for_any_key_and_size() -> None:
    work = tuple((KEYS[n % 3], bytes([n]) * size) for n, size in enumerate((1, 300, 5_000, 70_000, 2_500_000)))

    async def body() -> list[list[bytes] | None]:
        signer = ProcessSigner()
        await signer.start()
        try:
            # concurrent requests, answered each to its own caller; the 2.5 MB input spans many reads
            return list(await asyncio.gather(*(signer.signatures(work[n:n + 2]) for n in range(len(work)))))
        finally:
            signer.close()

    answers = run(body)
    for n, answer in enumerate(answers):
        assert answer == rsa_signatures(work[n:n + 2])


def test_a_full_key_table_is_forgotten_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing_process, "_MAX_KEYS", 2)

    async def body() -> list[list[bytes] | None]:
        signer = ProcessSigner()
        await signer.start()
        try:
            return [await signer.signatures(((key, b"input"),)) for key in (*KEYS, *KEYS)]
        finally:
            signer.close()

    assert run(body) == [rsa_signatures(((key, b"input"),)) for key in (*KEYS, *KEYS)]


def test_without_its_helper_the_signer_signs_on_the_loop() -> None:
    async def body() -> tuple[list[bytes] | None, list[bytes] | None, str]:
        process = ProcessSigner()
        before = await process.signatures(((KEYS[0], b"x"),))  # not started
        signer = Signer(process=process)
        await signer.start()
        try:
            assert process.running
            os.kill(process._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
            with collecting() as made:
                pair = [DeferredToken({"sub": "s", "n": n}, "kid-1", KEYS[1]) for n in range(2)]
            await signer.sign(made)  # sent to the helper, whose answer never comes: signed on the loop
            assert all("signed=True" in repr(token) for token in pair)
            after = await process.signatures(((KEYS[0], b"x"),))
            return before, after, [str(token) for token in pair]
        finally:
            signer.close()

    before, after, texts = run(body)
    assert before is None and after is None
    assert texts == [sign({"sub": "s", "n": n}, "kid-1", KEYS[1]) for n in range(2)]


def test_the_signer_sends_two_tokens_or_more_to_its_helper_and_signs_a_lone_one_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[int] = []
    original = ProcessSigner.signatures

    async def counting(self: ProcessSigner, work: tuple) -> list[bytes] | None:  # type: ignore[type-arg]
        sent.append(len(work))
        return await original(self, work)

    monkeypatch.setattr(ProcessSigner, "signatures", counting)

    async def body() -> list[str]:
        signer = Signer(process=ProcessSigner())
        await signer.start()
        try:
            with collecting() as made:
                lone = DeferredToken({"n": 0}, "kid-1", KEYS[0])
            await signer.sign(made)
            with collecting() as made:
                pair = [DeferredToken({"n": n}, "kid-1", KEYS[0]) for n in (1, 2)]
            await signer.sign(made)
            return [str(token) for token in (lone, *pair)]
        finally:
            signer.close()

    assert run(body) == [sign({"n": n}, "kid-1", KEYS[0]) for n in range(3)]
    assert sent == [2]
