"""What a managed login (version 2) page draws from a branding style (``operations.hosted._branding_style``):
the images of each colour mode, the header and footer, favicons, places and graphics. The browser test
(tests/wire/test_browser_branding.py) checks the same in chromium."""

from __future__ import annotations

import base64
from typing import Any

from userpools.operations.hosted import Bar, Picture, _branding_style, asset_digest

PNG = b"\x89PNG\r\n\x1a\n"


def asset(category: str, mode: str, data: bytes = PNG, extension: str = "PNG") -> dict[str, Any]:
    return {"Category": category, "ColorMode": mode, "Extension": extension,
            "Bytes": base64.b64encode(data + category.encode() + mode.encode()).decode()}


def url(a: dict[str, Any]) -> str:
    mime = {"PNG": "image/png", "SVG": "image/svg+xml", "ICO": "image/x-icon"}[a["Extension"]]
    return f"data:{mime};base64,{a['Bytes']}"


def style(settings: dict[str, Any], assets: list[dict[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    return _branding_style({"Settings": settings, "Assets": list(assets)})


def scheme(mode: str, **global_: Any) -> dict[str, Any]:
    return {"categories": {"global": {"colorSchemeMode": mode, **global_}}}


def test_defaults_draw_no_header_footer_favicon_or_graphic_and_our_form_logo() -> None:
    drawn = style({})
    assert drawn.header is None and drawn.footer is None and drawn.favicons == () and drawn.graphics == {}
    assert drawn.logo.startswith("data:image/svg+xml;base64,") and drawn.logo_location == "center"
    assert drawn.vars["page-bg-image"] == "none" and drawn.dark_vars["card-bg-image"] == "none"


def test_header_and_footer_need_their_global_switch_and_their_logo_its_own() -> None:
    logo = asset("PAGE_HEADER_LOGO", "LIGHT")
    settings = scheme("LIGHT", pageHeader={"enabled": True}) | {
        "components": {"pageHeader": {"logo": {"enabled": True, "location": "END"}},
                       "pageFooter": {"logo": {"enabled": True}}}}
    drawn = style(settings, [logo, asset("PAGE_FOOTER_LOGO", "LIGHT")])
    assert drawn.header == Bar(Picture(url(logo)), "end") and drawn.footer is None
    settings["components"]["pageHeader"]["logo"] = {"enabled": False, "location": "SIDEWAYS"}
    assert style(settings, [logo]).header == Bar(None, "start")


def test_a_mode_shows_its_own_image_or_the_dynamic_one_never_the_other_modes() -> None:
    light, dark = asset("FORM_LOGO", "LIGHT"), asset("FORM_LOGO", "DARK")
    assert style(scheme("DARK"), [light]).logo is None  # the style has a form logo, but not for dark mode
    assert style(scheme("DARK"), [light, dark]).logo == url(dark)
    both = style(scheme("DYNAMIC"), [light, dark])
    assert (both.logo, both.logo_dark, both.logo_only) == (url(light), url(dark), None)
    alone = style(scheme("DYNAMIC"), [light])
    assert (alone.logo, alone.logo_dark, alone.logo_only) == (url(light), None, "light")
    dynamic = asset("FORM_LOGO", "DYNAMIC")
    assert style(scheme("DARK"), [light, dynamic]).logo == url(dynamic)


def test_background_images_are_css_urls_per_mode_when_enabled() -> None:
    page_bg, form_dark = asset("PAGE_BACKGROUND", "DYNAMIC"), asset("FORM_BACKGROUND", "DARK")
    settings = scheme("DYNAMIC") | {"components": {"pageBackground": {"image": {"enabled": True}},
                                                   "form": {"backgroundImage": {"enabled": True}}}}
    drawn = style(settings, [page_bg, form_dark])
    assert drawn.vars["page-bg-image"] == drawn.dark_vars["page-bg-image"] == f"url({url(page_bg)})"
    assert drawn.vars["card-bg-image"] == "none" and drawn.dark_vars["card-bg-image"] == f"url({url(form_dark)})"
    settings["components"]["pageBackground"]["image"]["enabled"] = False
    assert style(settings, [page_bg]).vars["page-bg-image"] == "none"


def test_favicons_follow_enabled_types_svg_first_with_media_for_single_modes() -> None:
    svg = asset("FAVICON_SVG", "DYNAMIC", b"<svg/>", "SVG")
    ico_light, ico_dark = asset("FAVICON_ICO", "LIGHT", b"\0\0\1\0", "ICO"), asset("FAVICON_ICO", "DARK", b"\0\0\1\0", "ICO")
    settings = scheme("DYNAMIC")
    assert style(settings, [svg, ico_light, ico_dark]).favicons == (
        ("image/svg+xml", url(svg), None),
        ("image/x-icon", url(ico_light), "(prefers-color-scheme: light)"),
        ("image/x-icon", url(ico_dark), "(prefers-color-scheme: dark)"),
    )
    settings["components"] = {"favicon": {"enabledTypes": ["ICO"]}}
    assert [mime for mime, _, _ in style(settings, [svg, ico_light]).favicons] == ["image/x-icon"]


def test_places_density_radii_and_graphics() -> None:
    settings = {"categories": {"form": {"location": {"horizontal": "END", "vertical": "BOTTOM"},
                                        "displayGraphics": True},
                               "global": {"spacingDensity": "SPACIOUS"}},
                "components": {"alert": {"borderRadius": 2}, "form": {"borderRadius": True,
                                                                      "logo": {"formInclusion": "OUT"}}}}
    email = asset("EMAIL_GRAPHIC", "LIGHT")
    drawn = style(settings, [email])
    assert {"form-x": "flex-end", "form-y": "flex-end", "density": "1.3",
            "alert-radius": "2px"}.items() <= drawn.layout_vars.items()
    assert "card-radius" not in drawn.layout_vars  # a boolean is no radius: the page keeps its own
    assert drawn.logo_outside and drawn.graphics == {"EMAIL": Picture(url(email))}
    settings["categories"]["form"]["displayGraphics"] = False
    assert style(settings, [email]).graphics == {}


def test_a_larger_asset_is_a_url_of_the_domain_named_by_its_content_a_small_one_inline() -> None:
    big, small = asset("PAGE_HEADER_LOGO", "LIGHT", PNG + bytes(9000)), asset("PAGE_FOOTER_LOGO", "LIGHT")
    settings = scheme("LIGHT", pageHeader={"enabled": True}, pageFooter={"enabled": True}) | {
        "components": {"pageHeader": {"logo": {"enabled": True}}, "pageFooter": {"logo": {"enabled": True}}}}
    drawn = _branding_style({"Settings": settings, "Assets": [big, small]}, "https://auth.example.com", "client 1")
    assert drawn.header.logo.src == ("https://auth.example.com/managed-login/assets/client%201/"
                                     f"{asset_digest(big['Bytes'])}.png")
    assert drawn.footer.logo.src == url(small)
    assert style(settings, [big]).header.logo.src == url(big)  # no domain URL given: inline
