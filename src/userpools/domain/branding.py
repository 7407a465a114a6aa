"""Managed login branding: the style (settings document and image assets) of an app client's managed login
(ManagedLoginVersion 2) pages.

Stored formats (see ``domain.resources`` for kinds and keys):

- ``managed_login_branding`` (key ``<pool id>/<ManagedLoginBrandingId>``)::

      {"ManagedLoginBrandingId": "<UUID v4>", "UserPoolId", "ClientId",
       "UseCognitoProvidedValues": bool,
       "Settings": {…only what the caller customised…},
       "Assets": [{"Category", "ColorMode", "Extension", "Bytes": "<base64>", "ResourceId"}, …]}

  ``ClientId`` is ours (ManagedLoginBrandingType has none) and is left out of every answer.
- ``managed_login_branding_client`` (key ``<pool id>/<client id>``): ``{"ManagedLoginBrandingId"}``, one style
  per app client (ManagedLoginBrandingExistsException).

What a page renders is ``merged(document)``: ``DEFAULT_SETTINGS`` with the style's Settings laid over it
(objects merged member by member, anything else replaced), and ``DEFAULT_ASSETS`` with the style's assets in
place of those of the same (Category, ColorMode) (the pages take a default asset only for a category the style
has no asset of: ``operations.hosted``). Cognito's own defaults are not published; these are ours,
in the member layout of the settings document in AWS's CreateManagedLoginBranding example [C: API reference
example], with values of ours [U: Cognito's own default values are not published]. The members the v2 pages
read (each colour under ``lightMode`` and ``darkMode``):

- ``categories.global.colorSchemeMode``: ``LIGHT``, ``DARK`` or ``DYNAMIC`` (follow the browser);
  ``categories.global.spacingDensity`` (``COMPACT``, ``REGULAR``, ``SPACIOUS``): the form's spacing;
  ``categories.global.pageHeader.enabled``/``pageFooter.enabled``: whether the page has a header/footer.
- ``categories.form.location.{horizontal,vertical}`` (``START``/``CENTER``/``END``, ``TOP``/``CENTER``/
  ``BOTTOM``): the form's place; ``categories.form.displayGraphics``: the ``*_GRAPHIC`` assets on the factors'
  pages.
- ``components.pageBackground.{lightMode,darkMode}.color``: the page background colour;
  ``components.pageBackground.image.enabled`` with the ``PAGE_BACKGROUND`` asset.
- ``components.form.{lightMode,darkMode}.{backgroundColor,borderColor}``, ``components.form.borderRadius``,
  ``components.form.backgroundImage.enabled`` with ``FORM_BACKGROUND``: the sign-in card.
- ``components.form.logo.enabled``, ``.location`` (``START``, ``CENTER``, ``END``) and ``.formInclusion``
  (``IN``, ``OUT``): the logo in (or above) the form, drawn from the ``FORM_LOGO`` asset of the colour mode
  (``DYNAMIC`` serves both); the default is ours, an SVG.
- ``components.primaryButton.{lightMode,darkMode}.{defaults,hover,active}.{backgroundColor,textColor}``:
  the main button (``secondaryButton`` likewise, with ``borderColor``); ``componentClasses.buttons.borderRadius``
  their corners.
- ``components.pageText.{lightMode,darkMode}.{headingColor,bodyColor,descriptionColor}``: text.
- ``componentClasses.input.{lightMode,darkMode}.defaults.{backgroundColor,borderColor}`` and ``.placeholderColor``,
  ``componentClasses.input.borderRadius``, ``componentClasses.inputLabel.*.textColor``,
  ``componentClasses.inputDescription.*.textColor``, ``componentClasses.focusState.*.borderColor``: text fields.
- ``componentClasses.link.{lightMode,darkMode}.{defaults,hover}.textColor``: links;
  ``componentClasses.divider.*.borderColor``: the line above the sign-up link.
- ``components.alert.{lightMode,darkMode}.error.{backgroundColor,borderColor}``, ``components.alert.borderRadius``:
  the error next to a field.
- ``components.idpButton.standard.{lightMode,darkMode}.{defaults,hover,active}``: the buttons of external
  identity providers.
- ``components.pageHeader``/``pageFooter``: ``{lightMode,darkMode}.background.color``, ``.borderColor``,
  ``backgroundImage.enabled`` (``PAGE_HEADER_BACKGROUND``/``PAGE_FOOTER_BACKGROUND``) and ``logo.enabled``,
  ``logo.location`` (``PAGE_HEADER_LOGO``/``PAGE_FOOTER_LOGO``).
- ``components.favicon.enabledTypes``: which of the ``FAVICON_ICO``/``FAVICON_SVG`` assets to link.

Colours are ``RRGGBBAA`` hex without ``#``, as in Cognito's documents; every member whose name ends in
``Color`` must be one (6 digits are taken as opaque), so a page can put them into CSS unescaped [U: Cognito
checks its settings against a JSON schema of its own that is not published].
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
import regex

from userpools.errors import InvalidParameterException

Document = dict[str, Any]

#: [C: Create/UpdateManagedLoginBranding: "This operation has a 2-megabyte request-size limit"]
MAX_REQUEST_BYTES: Final = 2_000_000
#: [C: AssetListType, 0–40 in a request and in ManagedLoginBrandingType]
MAX_ASSETS: Final = 40
#: [U] how deep Settings may nest
MAX_SETTINGS_DEPTH: Final = 32

_COLOUR = regex.compile(r"[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")


def _mode(light: Any, dark: Any) -> Document:
    return {"lightMode": light, "darkMode": dark}


def _states(**states: tuple[str, str, str | None]) -> Document:
    """``{state: {backgroundColor, textColor[, borderColor]}}`` from (background, text, border) triples."""
    out: Document = {}
    for state, (background, text, border) in states.items():
        out[state] = {"backgroundColor": background, "textColor": text}
        if border is not None:
            out[state]["borderColor"] = border
    return out


def _bar(background: str, border: str) -> Document:
    return {"background": {"color": background}, "borderColor": border}


#: Our default style: the members of the settings document in AWS's CreateManagedLoginBranding example, with
#: colours of our own (a slate and blue palette). See the module docstring for what the pages read.
DEFAULT_SETTINGS: Final[Mapping[str, Any]] = {
    "categories": {
        "auth": {
            "authMethodOrder": [
                [
                    {"display": "BUTTON", "type": "FEDERATED"},
                    {"display": "INPUT", "type": "USERNAME_PASSWORD"},
                ]
            ],
            "federation": {"interfaceStyle": "BUTTON_LIST", "order": []},
        },
        "form": {
            "displayGraphics": True,
            "instructions": {"enabled": False},
            "languageSelector": {"enabled": False},
            "location": {"horizontal": "CENTER", "vertical": "CENTER"},
            "sessionTimerDisplay": "NONE",
        },
        "global": {
            "colorSchemeMode": "LIGHT",
            "pageHeader": {"enabled": False},
            "pageFooter": {"enabled": False},
            "spacingDensity": "REGULAR",
        },
        "signUp": {"acceptanceElements": [{"enforcement": "NONE", "textKey": "en"}]},
    },
    "componentClasses": {
        "buttons": {"borderRadius": 8.0},
        "divider": _mode({"borderColor": "e2e8f0ff"}, {"borderColor": "334155ff"}),
        "focusState": _mode({"borderColor": "2563ebff"}, {"borderColor": "60a5faff"}),
        "idpButtons": {"icons": {"enabled": True}},
        "input": {
            "borderRadius": 8.0,
            **_mode(
                {
                    "defaults": {"backgroundColor": "ffffffff", "borderColor": "94a3b8ff"},
                    "placeholderColor": "64748bff",
                },
                {
                    "defaults": {"backgroundColor": "0f172aff", "borderColor": "64748bff"},
                    "placeholderColor": "94a3b8ff",
                },
            ),
        },
        "inputDescription": _mode({"textColor": "64748bff"}, {"textColor": "94a3b8ff"}),
        "inputLabel": _mode({"textColor": "0f172aff"}, {"textColor": "e2e8f0ff"}),
        "link": _mode(
            {"defaults": {"textColor": "2563ebff"}, "hover": {"textColor": "1e40afff"}},
            {"defaults": {"textColor": "60a5faff"}, "hover": {"textColor": "93c5fdff"}},
        ),
        "statusIndicator": _mode(
            {
                "error": {
                    "backgroundColor": "fef2f2ff",
                    "borderColor": "dc2626ff",
                    "indicatorColor": "dc2626ff",
                },
                "success": {
                    "backgroundColor": "f0fdf4ff",
                    "borderColor": "16a34aff",
                    "indicatorColor": "16a34aff",
                },
                "warning": {
                    "backgroundColor": "fffbebff",
                    "borderColor": "d97706ff",
                    "indicatorColor": "d97706ff",
                },
            },
            {
                "error": {
                    "backgroundColor": "2a0f12ff",
                    "borderColor": "f87171ff",
                    "indicatorColor": "f87171ff",
                },
                "success": {
                    "backgroundColor": "0c2415ff",
                    "borderColor": "4ade80ff",
                    "indicatorColor": "4ade80ff",
                },
                "warning": {
                    "backgroundColor": "2a1d05ff",
                    "borderColor": "fbbf24ff",
                    "indicatorColor": "fbbf24ff",
                },
            },
        ),
    },
    "components": {
        "alert": {
            "borderRadius": 12.0,
            **_mode(
                {"error": {"backgroundColor": "fef2f2ff", "borderColor": "dc2626ff"}},
                {"error": {"backgroundColor": "2a0f12ff", "borderColor": "f87171ff"}},
            ),
        },
        "favicon": {"enabledTypes": ["ICO", "SVG"]},
        "form": {
            "backgroundImage": {"enabled": False},
            "borderRadius": 12.0,
            "logo": {"enabled": True, "formInclusion": "IN", "location": "CENTER", "position": "TOP"},
            **_mode(
                {"backgroundColor": "ffffffff", "borderColor": "e2e8f0ff"},
                {"backgroundColor": "1e293bff", "borderColor": "334155ff"},
            ),
        },
        "idpButton": {
            "custom": {},
            "standard": _mode(
                _states(
                    defaults=("ffffffff", "334155ff", "cbd5e1ff"),
                    hover=("f1f5f9ff", "0f172aff", "94a3b8ff"),
                    active=("e2e8f0ff", "0f172aff", "64748bff"),
                ),
                _states(
                    defaults=("0f172aff", "e2e8f0ff", "475569ff"),
                    hover=("1e293bff", "f8fafcff", "64748bff"),
                    active=("334155ff", "f8fafcff", "94a3b8ff"),
                ),
            ),
        },
        "pageBackground": {
            "image": {"enabled": False},
            **_mode({"color": "f1f5f9ff"}, {"color": "0f172aff"}),
        },
        "pageFooter": {
            "backgroundImage": {"enabled": False},
            "logo": {"enabled": False, "location": "START"},
            **_mode(_bar("f8fafcff", "e2e8f0ff"), _bar("0b1220ff", "334155ff")),
        },
        "pageHeader": {
            "backgroundImage": {"enabled": False},
            "logo": {"enabled": False, "location": "START"},
            **_mode(_bar("f8fafcff", "e2e8f0ff"), _bar("0b1220ff", "334155ff")),
        },
        "pageText": _mode(
            {"headingColor": "0f172aff", "bodyColor": "334155ff", "descriptionColor": "64748bff"},
            {"headingColor": "f8fafcff", "bodyColor": "cbd5e1ff", "descriptionColor": "94a3b8ff"},
        ),
        "phoneNumberSelector": {"displayType": "TEXT"},
        "primaryButton": _mode(
            _states(
                defaults=("2563ebff", "ffffffff", None),
                hover=("1d4ed8ff", "ffffffff", None),
                active=("1e40afff", "ffffffff", None),
                disabled=("cbd5e1ff", "64748bff", None),
            ),
            _states(
                defaults=("3b82f6ff", "0f172aff", None),
                hover=("60a5faff", "0f172aff", None),
                active=("93c5fdff", "0f172aff", None),
                disabled=("334155ff", "94a3b8ff", None),
            ),
        ),
        "secondaryButton": _mode(
            _states(
                defaults=("ffffffff", "2563ebff", "2563ebff"),
                hover=("eff6ffff", "1d4ed8ff", "1d4ed8ff"),
                active=("dbeafeff", "1e40afff", "1e40afff"),
            ),
            _states(
                defaults=("0f172aff", "60a5faff", "60a5faff"),
                hover=("1e293bff", "93c5fdff", "93c5fdff"),
                active=("334155ff", "bfdbfeff", "bfdbfeff"),
            ),
        ),
    },
}

_LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<rect width="64" height="64" rx="14" fill="#2563eb"/><circle cx="32" cy="26" r="9" fill="#ffffff"/>'
    '<rect x="28" y="31" width="8" height="18" rx="3" fill="#ffffff"/></svg>'
)

#: Our default assets: the form logo (both colour modes).
DEFAULT_ASSETS: Final[Sequence[Mapping[str, Any]]] = (
    {
        "Category": "FORM_LOGO",
        "ColorMode": "DYNAMIC",
        "Extension": "SVG",
        "Bytes": base64.b64encode(_LOGO_SVG.encode()).decode("ascii"),
        "ResourceId": "userpools-default-form-logo",
    },
)

#: The extensions each category takes [C: the category names FAVICON_ICO/FAVICON_SVG; U: ICO for nothing else]
_ONLY: Final[Mapping[str, str]] = {"FAVICON_ICO": "ICO", "FAVICON_SVG": "SVG"}


def _looks_like(extension: str, data: bytes) -> bool:
    """Whether the bytes are a file of the extension, by its signature [U: Cognito's checks are unpublished]."""
    if extension == "PNG":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if extension == "JPEG":
        return data.startswith(b"\xff\xd8\xff")
    if extension == "WEBP":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if extension == "ICO":
        return data[:4] == b"\x00\x00\x01\x00"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()  # SVG: XML text whose root is svg
    return head.startswith((b"<svg", b"<?xml")) and b"<svg" in data.lower()


def _check_assets(
    assets: Sequence[Mapping[str, Any]], known: Mapping[str, Mapping[str, Any]]
) -> list[Document]:
    """The request's assets, checked; ``known`` are the style's stored assets by ResourceId (an asset may
    name one of them instead of sending Bytes again)."""
    out: list[Document] = []
    seen: set[tuple[str, str]] = set()
    for asset in assets:
        category, mode, extension = asset["Category"], asset["ColorMode"], asset["Extension"]
        wanted = _ONLY.get(category)
        if (wanted is not None and extension != wanted) or (wanted is None and extension == "ICO"):
            # [U] wording
            raise InvalidParameterException(
                f"Extension {extension} is not supported for asset category {category}."
            )
        if (category, mode) in seen:
            # [U] a category twice in one colour mode is refused
            raise InvalidParameterException(f"Duplicate asset for category {category} and color mode {mode}.")
        seen.add((category, mode))
        item: Document = {"Category": category, "ColorMode": mode, "Extension": extension}
        resource_id = asset.get("ResourceId")
        encoded = asset.get("Bytes")
        if encoded is None:
            stored = known.get(resource_id or "")
            if stored is None:
                # [U] wording: Bytes may be left out only to keep an asset the style has
                raise InvalidParameterException(f"Bytes is required for asset category {category}.")
            encoded = stored["Bytes"]
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data or not _looks_like(extension, data):
            # [U] wording
            raise InvalidParameterException(
                f"The asset for category {category} is not a valid {extension} file."
            )
        item["Bytes"] = encoded
        item["ResourceId"] = resource_id or f"{category.lower()}-{mode.lower()}"  # [U] Cognito's are its own
        out.append(item)
    return out


def _check_colours(value: Any, path: str, depth: int = 0) -> None:
    if depth > MAX_SETTINGS_DEPTH:
        # [U] Cognito's documents nest four or five levels; a limit keeps the checks and merges bounded
        raise InvalidParameterException(f"Settings must not nest deeper than {MAX_SETTINGS_DEPTH} levels.")
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).endswith(("Color", "color")) and not (
                isinstance(item, str) and _COLOUR.fullmatch(item)
            ):
                # [U] wording
                raise InvalidParameterException(f"Settings {where} must be a hex colour RRGGBBAA: {item!r}")
            _check_colours(item, where, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_colours(item, f"{path}[{i}]", depth + 1)


def _check_request(request: Mapping[str, Any]) -> None:
    if request.get("UseCognitoProvidedValues") and "Settings" in request:
        # [C] "When you specify true for this option, you must also omit values for Settings and Assets"; but
        # [O] terraform-provider-aws's acceptance tests create styles with UseCognitoProvidedValues true and
        # assets, and read the assets back, so only Settings is refused. [U] wording
        raise InvalidParameterException(
            "Settings must not be provided when UseCognitoProvidedValues is true."
        )
    if "Settings" in request:
        if not isinstance(request["Settings"], dict):
            raise InvalidParameterException("Settings must be a JSON object.")  # [U] wording
        _check_colours(request["Settings"], "")
    size = len(orjson.dumps(request.get("Settings"))) + sum(
        len(a.get("Bytes") or "") for a in request.get("Assets") or []
    )
    if size > MAX_REQUEST_BYTES:
        # [C] the 2 MB limit; [U] error type and wording (here the settings and the assets' base64 count)
        raise InvalidParameterException(
            "The request exceeds the 2 MB size limit: send the assets in several requests."
        )


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> Document:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_assets(base: Sequence[Mapping[str, Any]], over: Sequence[Mapping[str, Any]]) -> list[Document]:
    replaced = {(a["Category"], a["ColorMode"]) for a in over}
    return [dict(a) for a in base if (a["Category"], a["ColorMode"]) not in replaced] + [
        dict(a) for a in over
    ]


def new_document(request: Mapping[str, Any], branding_id: str, pool_id: str) -> Document:
    """CreateManagedLoginBranding input (shape-checked) → the stored document."""
    _check_request(request)
    return {
        "ManagedLoginBrandingId": branding_id,
        "UserPoolId": pool_id,
        "ClientId": request["ClientId"],
        "UseCognitoProvidedValues": bool(request.get("UseCognitoProvidedValues")),
        "Settings": copy.deepcopy(request.get("Settings") or {}),
        "Assets": _check_assets(request.get("Assets") or [], {}),
    }


def updated_document(existing: Mapping[str, Any], request: Mapping[str, Any]) -> Document:
    """UpdateManagedLoginBranding: UseCognitoProvidedValues true resets the style to the defaults, keeping only
    the assets of this request [U]; otherwise Settings are merged into the stored ones (the style is then no
    longer Cognito's) and assets replace those of the same (Category, ColorMode) [C: "Amazon Cognito …
    preserves existing style settings that you don't specify"; O: terraform-provider-aws notes that an asset of
    another (category, color mode) pair is added beside the existing ones]."""
    _check_request(request)
    out = dict(existing)
    known = {a["ResourceId"]: a for a in existing.get("Assets") or []}
    assets = _check_assets(request.get("Assets") or [], known)
    if request.get("UseCognitoProvidedValues"):
        return {**out, "UseCognitoProvidedValues": True, "Settings": {}, "Assets": assets}
    if "Settings" in request:
        out["UseCognitoProvidedValues"] = False
        out["Settings"] = _deep_merge(existing.get("Settings") or {}, request["Settings"])
    out["Assets"] = _merge_assets(existing.get("Assets") or [], assets)
    if len(out["Assets"]) > MAX_ASSETS:
        # [U] the model allows 40 assets in a style (ManagedLoginBrandingType); 15 categories × 3 colour modes
        # could make 45, so an update that would pass 40 is refused. [U] wording
        raise InvalidParameterException(f"A style holds at most {MAX_ASSETS} assets.")
    return out


def _overlay(base: Mapping[str, Any], over: Mapping[str, Any]) -> Document:
    """``_deep_merge`` without copies: the result shares what it does not change with ``base`` and ``over``, so
    it is only read (a page, an answer), never changed or stored."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        out[key] = _overlay(below, value) if isinstance(value, dict) and isinstance(below, dict) else value
    return out


def merged(document: Mapping[str, Any]) -> Document:
    """The style as the pages render it: the defaults with the style's own values over them (to be read only)."""
    return {
        **document,
        "Settings": _overlay(DEFAULT_SETTINGS, document.get("Settings") or {}),
        "Assets": _merge_assets(DEFAULT_ASSETS, document.get("Assets") or []),
    }


def described(document: Mapping[str, Any], *, merge: bool) -> Document:
    """ManagedLoginBrandingType without its dates: ReturnMergedResources → ``merged``; our ClientId left out."""
    shown = merged(document) if merge else dict(document)
    shown.pop("ClientId", None)
    return shown
