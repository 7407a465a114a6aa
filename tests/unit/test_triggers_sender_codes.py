"""Custom senders' encrypted codes: the format, and the decryption snippets the module documents, run as
written (Python, and Node.js when it is installed)."""

from __future__ import annotations

import base64
import shutil
import subprocess
import textwrap

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from userpools.triggers import sender_codes
from userpools.triggers.sender_codes import SenderCodeCipher, SenderCodeError, decrypt_code

KEY = bytes(range(32))
KEY_TEXT = base64.b64encode(KEY).decode()


def documented(language: str) -> str:
    """The indented example after the docstring line that starts with ``language``."""
    lines = (sender_codes.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(language)) + 2
    block = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block)).strip() + "\n"


def test_the_code_round_trips_and_each_encryption_differs():
    cipher = SenderCodeCipher(KEY)

    first, second = cipher.encrypt("123456"), cipher.encrypt("123456")

    assert first != second
    assert cipher.decrypt(first) == cipher.decrypt(second) == "123456"


def test_the_format_is_version_nonce_then_aes_gcm():
    raw = base64.b64decode(SenderCodeCipher(KEY).encrypt("Temp#Pass1"))

    assert raw[0] == 1 and len(raw) == 1 + 12 + len("Temp#Pass1") + 16
    assert AESGCM(KEY).decrypt(raw[1:13], raw[13:], None) == b"Temp#Pass1"


def test_another_key_does_not_open_it():
    ciphertext = SenderCodeCipher(KEY).encrypt("123456")

    with pytest.raises(SenderCodeError, match="does not open"):
        SenderCodeCipher(bytes(32)).decrypt(ciphertext)


@pytest.mark.parametrize(
    "ciphertext", ["not base64!", base64.b64encode(b"\x02" + bytes(40)).decode(), "AQ=="]
)
def test_what_is_not_a_code_is_refused(ciphertext):
    with pytest.raises(SenderCodeError):
        SenderCodeCipher(KEY).decrypt(ciphertext)


def test_a_key_is_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        SenderCodeCipher(b"short")


def test_decrypt_code_takes_the_key_as_configured_or_as_bytes():
    ciphertext = SenderCodeCipher(KEY).encrypt("654321")

    assert decrypt_code(ciphertext, KEY_TEXT) == decrypt_code(ciphertext, KEY) == "654321"


def test_the_documented_python_snippet_decrypts(monkeypatch):
    monkeypatch.setenv("USERPOOLS_SENDER_KEY", KEY_TEXT)
    namespace: dict[str, object] = {}
    exec(documented("Python"), namespace)  # noqa: S102 - the module's own documentation

    decrypt = namespace["decrypt_code"]

    assert decrypt(SenderCodeCipher(KEY).encrypt("über-code 42")) == "über-code 42"  # type: ignore[operator]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_documented_node_snippet_decrypts():
    ciphertext = SenderCodeCipher(KEY).encrypt("über-code 42")
    script = documented("Node.js") + "process.stdout.write(decryptCode(process.argv[1]));\n"

    result = subprocess.run(
        [shutil.which("node") or "node", "-e", script, ciphertext],
        capture_output=True,
        text=True,
        timeout=30,
        env={"USERPOOLS_SENDER_KEY": KEY_TEXT},
        check=True,
    )

    assert result.stdout == "über-code 42"
