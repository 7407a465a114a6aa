"""What the sign-in pages and the authorization endpoint read from terms, branding and CIMD documents: the
terms links for a language, the merged style, the CIMD policy a URL falls under and how long its document is
cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from userpools.domain import branding, cimd, terms
from userpools.errors import InvalidParameterException

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def a_terms(name: str, links: dict[str, str]) -> dict[str, object]:
    return {"TermsName": name, "Links": links}


def test_terms_links_are_shown_only_when_both_documents_exist() -> None:
    only_one = {"terms-of-use": a_terms("terms-of-use", {"cognito:default": "https://e.com/t"})}
    assert terms.links_for(only_one, "en") is None


def test_terms_links_follow_the_language_with_default_as_fallback() -> None:
    documents = {
        "terms-of-use": a_terms("terms-of-use", {"cognito:default": "https://e.com/t", "cognito:spanish": "https://e.com/es/t"}),
        "privacy-policy": a_terms("privacy-policy", {"cognito:default": "https://e.com/p"}),
    }
    assert terms.links_for(documents, "es") == {"terms-of-use": "https://e.com/es/t", "privacy-policy": "https://e.com/p"}
    assert terms.links_for(documents, None) == {"terms-of-use": "https://e.com/t", "privacy-policy": "https://e.com/p"}
    assert terms.links_for(documents, "xx") == {"terms-of-use": "https://e.com/t", "privacy-policy": "https://e.com/p"}


def test_terms_without_a_link_for_the_language_or_default_are_not_shown() -> None:
    documents = {
        "terms-of-use": a_terms("terms-of-use", {"cognito:spanish": "https://e.com/es/t"}),
        "privacy-policy": a_terms("privacy-policy", {"cognito:spanish": "https://e.com/es/p"}),
    }
    assert terms.links_for(documents, "es") is not None
    assert terms.links_for(documents, "en") is None


def test_the_default_style_has_what_the_pages_read() -> None:
    style = branding.merged({"Settings": {}, "Assets": []})
    settings = style["Settings"]
    assert settings["components"]["pageBackground"]["lightMode"]["color"]
    assert settings["components"]["primaryButton"]["lightMode"]["defaults"]["backgroundColor"]
    assert settings["components"]["form"]["logo"]["enabled"] is True
    assert [a["Category"] for a in style["Assets"]] == ["FORM_LOGO"]
    # the defaults pass the checks a caller's settings get
    branding.new_document({"ClientId": "c", "Settings": settings}, "id", "pool")


def test_merging_never_changes_the_defaults() -> None:
    before = branding.merged({"Settings": {}, "Assets": []})
    branding.merged({"Settings": {"components": {"pageBackground": {"lightMode": {"color": "000000ff"}}}}})
    assert branding.merged({"Settings": {}, "Assets": []}) == before


def test_a_stored_asset_replaces_the_default_of_its_category_and_mode() -> None:
    logo = {"Category": "FORM_LOGO", "ColorMode": "DYNAMIC", "Extension": "PNG", "Bytes": "x", "ResourceId": "mine"}
    assert branding.merged({"Settings": {}, "Assets": [logo]})["Assets"] == [logo]


def test_policy_for_url_takes_the_first_matching_policy() -> None:
    policies = [
        {"CIMDPolicyId": "a", "URLPatterns": ["https://one.example.com/*"]},
        {"CIMDPolicyId": "b", "URLPatterns": ["https://*.example.com/c.json", "https://two.example.com/*"]},
    ]
    assert cimd.policy_for_url(policies, "https://two.example.com/x")["CIMDPolicyId"] == "b"  # type: ignore[index]
    assert cimd.policy_for_url(policies, "https://one.example.com/c.json")["CIMDPolicyId"] == "a"  # type: ignore[index]
    assert cimd.policy_for_url(policies, "https://three.example.com/x/y") is None


@pytest.mark.parametrize(("max_age", "seconds"), [(None, 172800), (3600, 172800), (86400 * 3, 86400 * 3),
                                                  (31556952, 31556952), (31556953, 172800)])
def test_the_documents_max_age_wins_between_a_day_and_a_year(max_age: int | None, seconds: int) -> None:
    assert cimd.cache_seconds({"CacheDuration": 172800}, max_age) == seconds


def test_a_record_is_cached_until_it_expires_or_is_refreshed_or_invalidated() -> None:
    record = cimd.url_record("https://a.example.com/c", {"client_id": "https://a.example.com/c"}, NOW, 86400)
    assert cimd.is_cached(record, NOW + timedelta(hours=23))
    assert not cimd.is_cached(record, NOW + timedelta(days=1))
    assert not cimd.is_cached(cimd.refreshed(record, NOW), NOW)
    assert not cimd.is_cached(cimd.invalidated(record), NOW)
    assert cimd.listed(record) == {"URL": "https://a.example.com/c", "CachedDate": NOW,
                                   "ExpirationDate": NOW + timedelta(days=1)}


SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=20)


@given(SEGMENT, SEGMENT)
def test_a_wildcard_matches_any_one_segment(host_part: str, path_part: str) -> None:
    assert cimd.matches("https://*.example.com/*/c.json", f"https://{host_part}.example.com/{path_part}/c.json")


@given(SEGMENT, SEGMENT, st.sampled_from("/?#"))
def test_a_wildcard_never_crosses_a_slash_query_or_fragment(first: str, second: str, separator: str) -> None:
    assert not cimd.matches("https://apps.example.com/*/c.json", f"https://apps.example.com/{first}{separator}{second}/c.json")


def test_patterns_are_literal_but_for_the_wildcard() -> None:
    assert not cimd.matches("https://a.example.com/c.json", "https://aXexample.com/c.json")
    with pytest.raises(InvalidParameterException):
        cimd.check_patterns(["https://a.example.com/x", "https://a.example.com/x"])
