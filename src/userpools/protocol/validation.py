"""Request validation driven by botocore's cognito-idp model: botocore shapes → Cognito's errors.

AWS's Coral front door checks a JSON 1.1 body in two passes, and so do we:

1. **Deserialisation**, in document order: the first member with the wrong JSON type ends the request
   with ``SerializationException`` (``NUMBER_VALUE can not be converted to a String``, ``Expected list or
   null``, …). A type error wins over any constraint failure, wherever either is.
2. **Validation**, in the order of the shape's members: every constraint failure is collected into one
   ``InvalidParameterException``::

       2 validation errors detected: Value '' at 'clientId' failed to satisfy constraint: Member must have
       length greater than or equal to 1; Value '' at 'clientId' failed to satisfy constraint: Member must
       satisfy regular expression pattern: [\\w+]+

Unknown members are ignored and ``null`` counts as absent (both as AWS does), so the dict handed back
holds only model members with values. Each operation's checks are compiled once into closures
(``_Builder``); a request walks only its own body.

Where each message form comes from (C = seen in real AWS responses, M = measured against a Coral JSON 1.1
service by another emulator and published with its tests, X = our choice where nothing was found):

- C ``N validation error(s) detected: …; …``, ``Value null at 'x' … Member must not be null``, lowerCamel
  paths by lowercasing only the first letter (``sSESpecification.sSEType``, DynamoDB), echoed strings and
  unechoed sensitive members (``Value at 'username'``): shared/cognito/recovery.md §6.4.
- C length before pattern for one member: ``Value '' at 'clientId'`` with both (an InitiateAuth test log,
  2024) and ``'userAttributes.1.member.name'`` (a Cognito client's test); one older SignUp log lists the
  pattern first.
- C numbers echoed: ``Value '100' at 'limit' … less than or equal to 60`` (boto/boto3#1356, ListUsers).
- C list items: ``'schema.1.member.name'`` style paths (1-based); a list of scalars failing item
  constraints: ``Value '[ADMIN_USER_PASSWORD_AUTH]' at 'explicitAuthFlows' failed to satisfy constraint:
  Member must satisfy constraint: [Member must satisfy enum value set: [...]]``
  (aws-solutions/media-insights-on-aws#199, awsdocs/aws-cloudformation-user-guide#525).
- C maps: ``Value '{k=v}' at 'p' failed to satisfy constraint: Map keys must satisfy constraint: [Member
  must have length less than or equal to 256, Member must have length greater than or equal to 1, Member
  must satisfy regular expression pattern: …]`` and ``Map value must satisfy constraint: […]`` (EventBridge
  and cognito-identity errors quoted in public notes, dynalite's DynamoDB tests): inside brackets, max
  before min, then the pattern.
- X enum value sets in model order. AWS's order is its own (the 2019 explicitAuthFlows message above
  matches neither the model's order, nor sorting, nor Java's HashSet order), so it cannot be derived.
- M ``STRING_VALUE can not be converted to an Integer``, ``TRUE_VALUE``/``FALSE_VALUE … to a String``,
  ``Start of list found where not expected``, ``Start of structure or map found where not expected.``,
  ``Expected list or null``, ``Expected null`` (a structure), ``null`` list items are skipped, a
  non-object body gets no message and a top-level array the list message (an Athena emulator's tests,
  measured 2026-09-23).
- X a fraction where an integer is expected (``1.5``) is ``NUMBER_VALUE can not be converted to an
  Integer`` (or ``a Long``). That emulator measured Coral truncating it and going on, but Smithy's own
  malformed-request protocol tests (``MalformedInteger``: ``float_truncation`` ``1.001``, and overflow)
  require a SerializationException, and a silently changed number is the worse surprise. A whole number
  written as a float (``8.0``) is read as that integer. A number outside the member's Java type (int32 for
  Integer, int64 for Long) is the same SerializationException unless the shape's own ``min``/``max`` reports
  it (measured: ``Value at 'maxResults'``, not echoed), so no handler ever sees an unrepresentable number.
- X a string holding U+0000 (``"\\u0000"`` in the JSON) is a SerializationException, ``STRING_VALUE can
  not contain the character U+0000``, whatever the member: PostgreSQL stores no NUL in text or jsonb, and one
  answer on every backend beats a value SQLite keeps and PostgreSQL cannot. AWS's answer is unknown.
- X an echoed value longer than 256 characters is cut to its first 256 followed by ``...``, here and in
  the Blob conversion messages: AWS echoes whole values (a 51,200-character CloudFormation template comes
  back inside the message), which makes answers that HTTP clients cannot read once json11 copies the
  message into ``x-amzn-ErrorMessage`` (docs/compatibility.md, "Readable answers").
  C ``NUMBER_VALUE can not be converted to a String`` (aarondfrancis/sidecar#148, from a real service).
  M ``NUMBER_VALUE can not be converted to a Boolean`` (SESv2 emulator tests). ``Expected map or null``:
  dynalite (DynamoDB, older Coral). X the same forms for Blob and Timestamp targets.
- X ``null`` map values are dropped like ``null`` list items; entries of maps of structures are reported
  as ``'<map>.<key>.member.<field>'``; containers of structures are not echoed (Coral would print Java
  object names); lengths count UTF-16 code units, as Java's ``String.length()`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import regex
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from userpools.errors import InvalidParameterException, SerializationException

Coerce = Callable[[Any], Any]
Check = Callable[[Any, str, list[str]], None]
Echo = Callable[[Any], "str | None"]

__all__ = ["java_pattern", "validate_input"]

# ClientIdType is ``sensitive`` in botocore's model, yet the live service echoes it: ``Value
# 'ap-northeast-1_xxxxxxxxx' at 'clientId'`` (boto/boto3#3581, 2023) and ``Value '' at 'clientId'``
# (an InitiateAuth test log, 2024). Every other sensitive shape stays unechoed.
_ECHOED_DESPITE_SENSITIVE: Final = frozenset({"ClientIdType"})

_LIST_START: Final = "Start of list found where not expected"
_MAP_START: Final = "Start of structure or map found where not expected."
_INT32: Final = range(-(2**31), 2**31)


# --- Java regular expressions ------------------------------------------------------------------------

# Java's \w \d \s are ASCII unless UNICODE_CHARACTER_CLASS is set; the ``regex`` package's are Unicode,
# and its ASCII flag would also shrink \p{L}. So the shorthands are spelled out as ranges, which work
# both inside and outside a character class.
_SHORTHANDS: Final = {
    "w": r"a-zA-Z0-9_",
    "d": r"0-9",
    "s": r" \t\n\x0B\f\r",
    "W": r"\x00-/:-@\[-\^`\{-\U0010FFFF",
    "D": r"\x00-/:-\U0010FFFF",
    "S": r"\x00-\x08\x0E-\x1F!-\U0010FFFF",
}
# Java's ``.`` stops at every line terminator, not only \n (unless DOTALL).
_JAVA_DOT: Final = r"[^\n\r\x85\u2028\u2029]"


def java_pattern(pattern: str) -> regex.Pattern[str]:
    """Compiles a Java regular expression (the model's ``pattern`` traits) for ``fullmatch`` use."""
    return regex.compile(_linear_form(pattern) or _translate(pattern))


# ``C*L1C*L2C*`` with one character class C that holds every literal character (the model's message
# templates: ``[\p{L}…\s*]*\{####\}[\p{L}…\s*]*``) backtracks in quadratic time: 4 s on 20,000
# characters. It matches exactly the strings made of C that hold L1, L2, … in order, which atomic groups
# find in linear time: earliest placements never need revisiting.
_TEMPLATE_PIECE: Final = regex.compile(r"(\[(?:\\.|[^\]\\])*\])\*|\\([^\w\s])|([#@A-Za-z0-9_ -])")


def _linear_form(pattern: str) -> str | None:
    pieces = list(_TEMPLATE_PIECE.finditer(pattern))
    if not pieces or "".join(piece[0] for piece in pieces) != pattern:
        return None
    classes = {piece[1] for piece in pieces if piece[1]}
    if len(classes) != 1 or not pieces[0][1] or not pieces[-1][1]:
        return None
    groups: list[str] = []  # the literal runs between two C*
    run = ""
    for piece in pieces:
        if piece[1]:
            if run:
                groups.append(run)
            run = ""
        else:
            run += piece[2] or piece[3]
    char_class = _translate(classes.pop())
    in_class = regex.compile(char_class)
    if not groups or any(in_class.fullmatch(char) is None for char in "".join(groups)):
        return None
    needles = "".join(f"(?>(?s:.*?){regex.escape(group)})" for group in groups)
    return f"(?={char_class}*+\\Z){needles}(?s:.*)"


def _translate(pattern: str) -> str:
    """Java syntax → the ``regex`` package's: ASCII shorthands, and Java's ``.``."""
    dotall = pattern.startswith("(?s)")
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            ranges = _SHORTHANDS.get(escaped)
            if ranges is None:
                out.append(char + escaped)  # \p{L}, \x21, \{ … mean the same in both
            else:
                out.append(ranges if depth else f"[{ranges}]")
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "." and not depth and not dotall:
            char = _JAVA_DOT
        out.append(char)
        i += 1
    return "".join(out)


# --- message pieces ----------------------------------------------------------------------------------


_ECHO_LIMIT: Final = 256  # characters of a value quoted in a message; longer ones end in "..."


def _quoted(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else f"{text[:_ECHO_LIMIT]}..."


def _violation(echo: str | None, path: str, constraint: str) -> str:
    value = "" if echo is None else f"'{_quoted(echo)}' "
    return f"Value {value}at '{path}' failed to satisfy constraint: {constraint}"


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def _wire_name(member: str) -> str:
    return member[:1].lower() + member[1:]


def _json_kind(value: Any) -> str:
    """Coral's name for a JSON scalar token, as its conversion errors print it."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    return "STRING_VALUE" if isinstance(value, str) else "NUMBER_VALUE"


def _mismatch(value: Any, target: str) -> SerializationException:
    """The SerializationException for a JSON value that cannot become ``target`` (``an Integer``, …)."""
    if isinstance(value, list):
        return SerializationException(_LIST_START)
    if isinstance(value, dict):
        return SerializationException(_MAP_START)
    if target == "structure":
        return SerializationException("Expected null")
    if target in ("list", "map"):
        return SerializationException(f"Expected {target} or null")
    return SerializationException(f"{_json_kind(value)} can not be converted to {target}")


def _utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


_BASE64: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_INDEX: Final = {char: index for index, char in enumerate(_BASE64)}


def _base64_length(text: str) -> int:
    """Decoded length of a base64 blob, or SerializationException in Coral's words (dynalite's tests)."""
    if len(text) % 4:
        raise SerializationException(
            f"'{_quoted(text)}' can not be converted to a Blob: Base64 encoded length is expected a multiple of "
            f"4 bytes but found: {len(text)}"
        )
    padding = min(2, len(text) - len(text.rstrip("=")))
    body = text[: len(text) - padding]
    for char in body:
        if char not in _BASE64_INDEX:
            raise SerializationException(
                f"'{_quoted(text)}' can not be converted to a Blob: Invalid Base64 character: '{char}'"
            )
    if padding and body and _BASE64_INDEX[body[-1]] & (0b11, 0b1111)[padding - 1]:
        raise SerializationException(
            f"'{_quoted(text)}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"
        )
    return len(body) * 3 // 4


# --- compiled shapes ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """One shape, compiled: how to read it, how to check it, and how AWS prints it."""

    coerce: Coerce
    check: Check | None = None  # None: nothing about this shape can fail validation
    violations: Callable[[Any], list[str]] | None = None  # scalars: the constraints a value breaks
    broken: Callable[[Any], bool] | None = None  # scalars: whether it breaks any (``violations`` is not empty)
    describe: tuple[str, ...] = ()  # scalars: every constraint, as bracketed in container messages
    echo: Echo | None = None  # None: AWS prints ``Value at`` (sensitive, or structures inside)


def _scalar_echo(value: Any) -> str | None:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int) and value not in _INT32:
        return None  # an Athena emulator measured no echo for an out-of-range integer
    return str(value)


class _Builder:
    """Compiles shapes into closures, once per shape name (shared by every operation using it)."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._building: set[str] = set()

    def node(self, shape: Shape) -> _Node:
        found = self._nodes.get(shape.name)
        if found is not None:
            return found
        if shape.name in self._building:  # a recursive shape: defer to the finished node
            name = shape.name
            return _Node(
                coerce=lambda value: self._nodes[name].coerce(value),
                check=lambda value, path, errors: _deferred_check(self._nodes[name], value, path, errors),
            )
        self._building.add(shape.name)
        try:
            built = self._build(shape)
        finally:
            self._building.discard(shape.name)
        self._nodes[shape.name] = built
        return built

    def _build(self, shape: Shape) -> _Node:
        if shape.metadata.get("document"):
            return _Node(coerce=lambda value: value)
        if isinstance(shape, StructureShape):
            return self._structure(shape)
        if isinstance(shape, ListShape):
            return self._list(shape)
        if isinstance(shape, MapShape):
            return self._map(shape)
        return _scalar(shape)

    def _structure(self, shape: StructureShape) -> _Node:
        members = {name: self.node(member).coerce for name, member in shape.members.items()}
        required = set(shape.required_members)
        plan = []
        for name, member in shape.members.items():
            child = self.node(member).check
            if name in required or child is not None:
                plan.append((name, _wire_name(name), name in required, child))

        def coerce(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _mismatch(value, "structure")
            out = {}
            for key, item in value.items():
                read = members.get(key)
                if read is not None and item is not None:
                    out[key] = read(item)
            return out

        def check(value: dict[str, Any], path: str, errors: list[str]) -> None:
            prefix = f"{path}." if path else ""
            for name, wire, is_required, child in plan:
                item = value.get(name)
                if item is None:
                    if is_required:
                        errors.append(_null(prefix + wire))
                elif child is not None:
                    child(item, prefix + wire, errors)

        return _Node(coerce=coerce, check=check if plan else None)

    def _list(self, shape: ListShape) -> _Node:
        item = self.node(shape.member)
        read = item.coerce
        sizes = _count_limits(shape)
        echo = _list_echo(item.echo) if item.echo is not None and not _hidden(shape) else None

        def coerce(value: Any) -> list[Any]:
            if type(value) is not list:
                raise _mismatch(value, "list")
            return [read(element) for element in value if element is not None]

        checks: list[Check] = []
        if sizes is not None:
            checks.append(_size_check(sizes, echo))
        if item.violations is not None:
            checks.append(_items_check(item, "Member must satisfy constraint", echo, lambda v: v))
        elif item.check is not None:
            checks.append(_element_check(item.check))
        return _Node(coerce=coerce, check=_chain(checks), echo=echo)

    def _map(self, shape: MapShape) -> _Node:
        key, value_node = self.node(shape.key), self.node(shape.value)
        read_key, read_value = key.coerce, value_node.coerce
        sizes = _count_limits(shape)
        echo = None
        if key.echo is not None and value_node.echo is not None and not _hidden(shape):
            echo = _map_echo(key.echo, value_node.echo)

        def coerce(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _mismatch(value, "map")
            return {read_key(k): read_value(v) for k, v in value.items() if v is not None}

        checks: list[Check] = []
        if sizes is not None:
            checks.append(_size_check(sizes, echo))
        if key.violations is not None:
            checks.append(_items_check(key, "Map keys must satisfy constraint", echo, dict.keys))
        if value_node.violations is not None:
            checks.append(_items_check(value_node, "Map value must satisfy constraint", echo, dict.values))
        elif value_node.check is not None:
            checks.append(_entry_check(value_node.check))
        return _Node(coerce=coerce, check=_chain(checks), echo=echo)


def _deferred_check(node: _Node, value: Any, path: str, errors: list[str]) -> None:
    if node.check is not None:
        node.check(value, path, errors)


def _hidden(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive")) and shape.name not in _ECHOED_DESPITE_SENSITIVE


def _count_limits(shape: Shape) -> tuple[int | None, int | None] | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    return None if low is None and high is None else (low, high)


def _list_echo(item: Echo) -> Echo:
    def echo(value: list[Any]) -> str | None:
        parts = [item(element) for element in value]
        return None if None in parts else f"[{', '.join(parts)}]"  # type: ignore[arg-type]

    return echo


def _map_echo(key: Echo, value: Echo) -> Echo:
    def echo(mapping: dict[str, Any]) -> str | None:
        parts = [(key(k), value(v)) for k, v in mapping.items()]
        if any(k is None or v is None for k, v in parts):
            return None
        return "{" + ", ".join(f"{k}={v}" for k, v in parts) + "}"

    return echo


def _chain(checks: list[Check]) -> Check | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def check(value: Any, path: str, errors: list[str]) -> None:
        for one in checks:
            one(value, path, errors)

    return check


def _size_check(limits: tuple[int | None, int | None], echo: Echo | None) -> Check:
    """A list's or map's own length: its number of entries."""
    low, high = limits
    at_least = f"Member must have length greater than or equal to {low}"
    at_most = f"Member must have length less than or equal to {high}"

    def check(value: Any, path: str, errors: list[str]) -> None:
        size = len(value)
        if low is not None and size < low:
            errors.append(_violation(echo and echo(value), path, at_least))
        elif high is not None and size > high:
            errors.append(_violation(echo and echo(value), path, at_most))

    return check


def _items_check(item: _Node, lead: str, echo: Echo | None, items: Callable[[Any], Any]) -> Check:
    """Scalar members (list items, map keys or values): one error for the container, all rules listed."""
    broken = item.broken
    assert broken is not None
    constraint = f"{lead}: [{', '.join(item.describe)}]"

    def check(value: Any, path: str, errors: list[str]) -> None:
        for element in items(value):
            if broken(element):
                errors.append(_violation(echo and echo(value), path, constraint))
                return

    return check


def _element_check(inner: Check) -> Check:
    def check(value: list[Any], path: str, errors: list[str]) -> None:
        for index, element in enumerate(value, 1):
            inner(element, f"{path}.{index}.member", errors)

    return check


def _entry_check(inner: Check) -> Check:
    def check(value: dict[str, Any], path: str, errors: list[str]) -> None:
        for key, element in value.items():
            inner(element, f"{path}.{key}.member", errors)

    return check


# --- scalars -----------------------------------------------------------------------------------------

_TARGETS: Final = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "float": "a Float",
    "double": "a Double",
    "boolean": "a Boolean",
    "blob": "a Blob",
    "timestamp": "a Timestamp",
}


#: Constraints of the model that Cognito's front door does not apply, by shape name. ``DomainType`` (the
#: ``Domain`` of the four domain operations) carries the pattern and length of a *prefix* domain, yet custom
#: domains (``auth.example.com``, longer than 63) are accepted: the operations validate both kinds themselves
#: (``userpools.domain.domains``) with Cognito's own message.
_NOT_ENFORCED: Final[dict[str, frozenset[str]]] = {"DomainType": frozenset({"pattern", "max"})}
#: Values an enum of the model lacks though Cognito accepts them: ``ALLOW_CLIENT_TOKEN_AUTH`` (GetClientToken's
#: flow) is missing from ExplicitAuthFlowsType in botocore 1.44.x while the API reference and the CLI's example
#: use it (newest-operations.md §2). The error message keeps listing the model's values.
_EXTRA_ENUM: Final[dict[str, frozenset[str]]] = {"ExplicitAuthFlowsType": frozenset({"ALLOW_CLIENT_TOKEN_AUTH"})}


def _scalar(shape: Shape) -> _Node:
    kind = shape.type_name
    meta = shape.metadata
    dropped = _NOT_ENFORCED.get(shape.name)
    if dropped:
        meta = {k: v for k, v in meta.items() if k not in dropped}
    coerce = _scalar_coerce(kind, _TARGETS.get(kind, f"a {kind.title()}"), meta.get("min"), meta.get("max"))
    echo = None if _hidden(shape) or kind == "blob" else _scalar_echo

    # (broken?, text) in the order AWS reports them: length or value, then pattern, then enum.
    rules: list[tuple[Callable[[Any], bool], str]] = []
    describe: list[str] = []  # the bracketed form puts the upper bound first
    size = _SIZES.get(kind)
    if size is not None:
        unit = "value" if kind in _NUMBERS else "length"
        low, high = meta.get("min"), meta.get("max")
        at_most = f"Member must have {unit} less than or equal to {high}"
        at_least = f"Member must have {unit} greater than or equal to {low}"
        if low is not None:
            rules.append((lambda v: size(v) < low, at_least))
        if high is not None:
            rules.append((lambda v: size(v) > high, at_most))
            describe.append(at_most)
        if low is not None:
            describe.append(at_least)
    if kind == "string" and "pattern" in meta:
        compiled = java_pattern(meta["pattern"])
        describe.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        rules.append((lambda v: compiled.fullmatch(v) is None, describe[-1]))
    if kind == "string" and meta.get("enum"):
        allowed = frozenset(meta["enum"]) | _EXTRA_ENUM.get(shape.name, frozenset())
        describe.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
        rules.append((lambda v: v not in allowed, describe[-1]))
    if not rules:
        return _Node(coerce=coerce, echo=echo)

    def violations(value: Any) -> list[str]:
        return [text for broken, text in rules if broken(value)]

    def any_broken(value: Any) -> bool:
        for broken, _ in rules:
            if broken(value):
                return True
        return False

    def check(value: Any, path: str, errors: list[str]) -> None:
        for broken, text in rules:  # per request, for every constrained member: no list when none is broken
            if broken(value):
                errors.append(_violation(echo and echo(value), path, text))

    if kind == "string":
        check, any_broken = _string_checks(check, meta.get("min"), meta.get("max"),
                                           compiled.fullmatch if "pattern" in meta else None,
                                           allowed if meta.get("enum") else None)

    return _Node(coerce=coerce, check=check, violations=violations, broken=any_broken, describe=tuple(describe),
                 echo=echo)


def _string_checks(check: Callable[[Any, str, list[str]], None], low: int | None, high: int | None,
                   match: Callable[[str], Any] | None, allowed: frozenset[str] | None,
                   ) -> tuple[Callable[[Any, str, list[str]], None], Callable[[Any], bool]]:
    """A string member's ``check`` and ``broken`` with the common case first: every rule tested in one
    expression (the length measured once); ``check`` runs the rules' own loop only for a value that breaks
    one (to report them in AWS's order)."""
    least = 0 if low is None else low
    most = sys.maxsize if high is None else high

    def string_check(value: str, path: str, errors: list[str]) -> None:
        size = len(value) if value.isascii() else _utf16_length(value)
        if (least <= size <= most and (match is None or match(value) is not None)
                and (allowed is None or value in allowed)):
            return
        check(value, path, errors)

    def string_broken(value: str) -> bool:
        size = len(value) if value.isascii() else _utf16_length(value)
        return not (least <= size <= most and (match is None or match(value) is not None)
                    and (allowed is None or value in allowed))

    return string_check, string_broken


_NUMBERS: Final = frozenset({"integer", "long", "float", "double"})


def _same(value: Any) -> Any:
    return value


# How a scalar is measured against ``min``/``max``; shapes of other kinds have no such constraints.
_SIZES: Final[dict[str, Callable[[Any], Any]]] = {
    "string": _utf16_length,
    "blob": _base64_length,
    **{kind: _same for kind in _NUMBERS},
}


_INT64: Final = range(-(2**63), 2**63)
# X: no store can keep U+0000 everywhere (PostgreSQL refuses it in text and jsonb), so no string may hold it.
_NUL: Final = "STRING_VALUE can not contain the character U+0000"


def _scalar_coerce(kind: str, target: str, low: int | None = None, high: int | None = None) -> Coerce:
    if kind in ("string", "blob"):

        def coerce(value: Any) -> Any:
            if type(value) is str:
                if kind == "blob":
                    _base64_length(value)
                elif "\x00" in value:
                    raise SerializationException(_NUL)
                return value
            raise _mismatch(value, target)

    elif kind in ("integer", "long"):
        java = _INT32 if kind == "integer" else _INT64

        def coerce(value: Any) -> Any:
            kind_of = type(value)
            if kind_of is int:
                number = value
            elif kind_of is float and value.is_integer():  # orjson reads neither NaN nor infinities
                number = int(value)
            else:  # a fraction, or not a number: see the module's notes (X)
                raise _mismatch(value, target)
            if number in java or (high is not None and number > high) or (low is not None and number < low):
                return number  # out of range but caught by the shape's own bounds: reported, not echoed
            raise _mismatch(value, target)

    elif kind in ("float", "double", "timestamp"):

        def coerce(value: Any) -> Any:
            if type(value) in (int, float):
                return value
            raise _mismatch(value, target)

    elif kind == "boolean":

        def coerce(value: Any) -> Any:
            if type(value) is bool:
                return value
            raise _mismatch(value, target)

    else:

        def coerce(value: Any) -> Any:
            return value

    return coerce


# --- the entry point ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Validator:
    coerce: Coerce
    check: Check | None


_BUILDERS: dict[str, _Builder] = {}
_VALIDATORS: dict[tuple[str, str], _Validator] = {}


def _validator(operation: OperationModel) -> _Validator:
    service = operation.service_model.service_name
    key = (service, operation.name)
    found = _VALIDATORS.get(key)
    if found is not None:
        return found
    shape = operation.input_shape
    if shape is None:
        built = _Validator(coerce=lambda value: {}, check=None)
    else:
        node = _BUILDERS.setdefault(service, _Builder()).node(shape)
        built = _Validator(coerce=node.coerce, check=node.check)
    _VALIDATORS[key] = built
    return built


def validate_input(operation: OperationModel, params: object) -> dict[str, Any]:
    """Checks params against the operation's input shape. Returns params (a dict) when valid.

    Raises userpools.errors.SerializationException for JSON-type errors and
    userpools.errors.InvalidParameterException for constraint failures, with AWS's messages.
    The dict returned holds the model's members only: unknown members and ``null`` values are dropped
    and fractions given for integers are truncated, as AWS does; blobs stay base64 text.
    """
    if type(params) is not dict:
        if type(params) is list:
            raise SerializationException(_LIST_START)
        raise SerializationException()  # measured: a scalar body gets no message at all
    validator = _validator(operation)
    value: dict[str, Any] = validator.coerce(params)
    if validator.check is not None:
        errors: list[str] = []
        validator.check(value, "", errors)
        if errors:
            count = len(errors)
            head = "1 validation error detected" if count == 1 else f"{count} validation errors detected"
            raise InvalidParameterException(f"{head}: {'; '.join(errors)}")
    return value
