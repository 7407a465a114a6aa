"""Terms documents: the terms-of-use and privacy-policy links that managed login shows on an app client's
sign-up page.

Each is a ``terms`` resource (key ``<pool id>/<TermsId>``, see ``domain.resources``) whose document is
TermsType without its dates (the record's created_at/updated_at are CreationDate/LastModifiedDate)::

    {"TermsId": "<UUID v4>", "UserPoolId", "ClientId", "TermsName": "terms-of-use" | "privacy-policy",
     "TermsSource": "LINK", "Enforcement": "NONE",
     "Links": {"cognito:default": "https://…", "cognito:spanish": "https://…", …}}

beside a ``terms_name`` index resource (key ``<pool id>/<client id>/<TermsName>``, document ``{"TermsId"}``)
that keeps a name unique per app client. An app client thus holds at most two documents, one of each name
(the model's TermsName pattern allows only these two). The sign-up page shows the links only when both exist,
in the user's language else ``cognito:default`` [C: CreateTerms doc]; ``links_for`` picks them.

The model checks TermsName, TermsSource, Enforcement, the 1–13 language keys and the URLs' length and
characters; here live the rules it cannot express. Source marks as in ``domain.pools``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from userpools.errors import InvalidParameterException

Document = dict[str, Any]

TERMS_OF_USE = "terms-of-use"
PRIVACY_POLICY = "privacy-policy"
DEFAULT_LANGUAGE = "cognito:default"

#: The ``lang`` values of managed login's localisation → the language keys of Links [C: managed login
#: localization; the LanguageIdType pattern lists the keys].
LANGUAGES: Mapping[str, str] = {
    "en": "cognito:english",
    "fr": "cognito:french",
    "es": "cognito:spanish",
    "de": "cognito:german",
    "id": "cognito:bahasa-indonesia",
    "it": "cognito:italian",
    "ja": "cognito:japanese",
    "ko": "cognito:korean",
    "nl": "cognito:dutch",
    "pt-BR": "cognito:portuguese-brazil",
    "zh-CN": "cognito:chinese-simplified",
    "zh-TW": "cognito:chinese-traditional",
}


def check_links(links: Mapping[str, str] | None) -> dict[str, str]:
    """Links as given, once each URL is an absolute https URL.

    [U] Cognito's model accepts any printable text of 1–1024 characters; the console asks for https links and
    a link the sign-up page shows must be one a browser opens, so a URL that is not absolute https is
    refused here (and Links itself is required on CreateTerms: TermsType always has it)."""
    if not links:
        raise InvalidParameterException("Links must contain at least one language and URL.")  # [U] wording
    for language, url in links.items():
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # an unclosed IPv6 bracket
            host = None
        if host is None or parts.scheme != "https":
            # [U] wording
            raise InvalidParameterException(f"The URL for {language} must be an absolute https URL: {url}")
    return dict(links)


def new_document(request: Mapping[str, Any], terms_id: str, pool_id: str) -> Document:
    """CreateTerms input (shape-checked) → the stored document."""
    return {
        "TermsId": terms_id,
        "UserPoolId": pool_id,
        "ClientId": request["ClientId"],
        "TermsName": request["TermsName"],
        "TermsSource": request["TermsSource"],
        "Enforcement": request["Enforcement"],
        "Links": check_links(request.get("Links")),
    }


def updated_document(existing: Mapping[str, Any], request: Mapping[str, Any]) -> Document:
    """UpdateTerms: the members given replace the stored ones; the others stay [U: "If you don't provide a
    value …" is not said of UpdateTerms; TermsType requires every member, so the stored value is kept]."""
    out = dict(existing)
    for member in ("TermsName", "TermsSource", "Enforcement"):
        if member in request:
            out[member] = request[member]
    if "Links" in request:
        out["Links"] = check_links(request["Links"])
    return out


def summary(document: Mapping[str, Any]) -> Document:
    """TermsDescriptionType, without its dates (the operation adds them)."""
    return {k: document[k] for k in ("TermsId", "TermsName", "Enforcement")}


def links_for(documents: Mapping[str, Mapping[str, Any]], lang: str | None) -> dict[str, str] | None:
    """The sign-up page's links ``{TermsName: URL}`` for the user's ``lang`` (managed login's ``lang``
    value), given the client's documents by TermsName; None unless both documents exist and each has a URL
    in the language or in ``cognito:default`` [C: "You must provide both types of terms documents in at least
    one language before Amazon Cognito displays your terms documents"]."""
    language = LANGUAGES.get(lang or "", DEFAULT_LANGUAGE)
    out: dict[str, str] = {}
    for name in (TERMS_OF_USE, PRIVACY_POLICY):
        document = documents.get(name)
        links = (document or {}).get("Links") or {}
        url = links.get(language) or links.get(DEFAULT_LANGUAGE)
        if url is None:
            return None
        out[name] = url
    return out
