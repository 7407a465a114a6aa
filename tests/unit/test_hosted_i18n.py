"""The hosted pages' language choice: ``lang`` first, then Accept-Language by quality, else English."""

from __future__ import annotations

import pytest

from userpools.hosted_ui.i18n import Texts, language


@pytest.mark.parametrize(("lang", "accept", "expected"), [
    ("fr", None, "fr"),
    ("fr-FR", "en", "fr"),
    ("fr_CA", None, "fr"),
    ("de", "fr", "en"),  # a lang without texts is English, not the browser's choice
    (None, "de-DE, fr;q=0.8, en;q=0.5", "fr"),
    (None, "en;q=0.4, fr;q=0.9", "fr"),
    (None, "fr;q=0", "en"),
    (None, "fr;q=oops", "en"),
    (None, "*", "en"),
    (None, "", "en"),
    (None, None, "en"),
])
def test_language_takes_lang_then_accept_language(lang: str | None, accept: str | None, expected: str) -> None:
    assert language(lang, accept) == expected


def test_a_text_french_lacks_falls_back_to_english_then_to_the_key() -> None:
    french = Texts("fr")
    assert french["sign_in"] == "Se connecter"
    assert french["Password does not conform to policy"] == "Password does not conform to policy"


def test_every_second_factor_and_passkey_text_is_in_french() -> None:
    from userpools.hosted_ui.i18n import TEXTS

    keys = [k for k in TEXTS["en"] if k.startswith(("mfa_", "totp_", "passkey_", "email_setup"))]
    keys += ["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "session_expired", "use_password", "send_code"]
    assert len(keys) > 20
    assert [k for k in keys if k not in TEXTS["fr"]] == []
