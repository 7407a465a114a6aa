"""The layering of docs/architecture.md, checked on the source: who may import whom, and no import cycles.

Every module under src/userpools is parsed with ``ast``; every import counts, at module level and inside
functions (``import x``, ``from x import y``, relative imports resolved, ``from pkg import submodule`` read
as an import of the submodule). ``RULES`` below is the table of docs/architecture.md: change both together,
in a commit that says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "userpools"

#: Imported by every layer: the package root (``__version__``), the error catalogue, ids, the clock and the
#: metrics (counted where things happen: the dispatcher, sign-ins, deliveries, trigger calls).
FOUNDATION = ("userpools", "userpools.errors", "userpools.ids", "userpools.clock", "userpools.metrics")

#: Third-party libraries only some layers may use: the web framework and server, and the database drivers.
WEB = ("starlette", "uvicorn", "httptools")
DATABASE = ("sqlalchemy", "asyncpg", "alembic", "sqlite3")


@dataclass(frozen=True)
class Rule:
    """What the modules under ``owner`` may import of userpools (besides FOUNDATION and themselves), and
    which of the restricted third-party groups."""

    owner: str
    may_import: tuple[str, ...]
    web: bool = False
    database: bool = False


#: The most specific owner (longest prefix) decides. ``userpools.cli``, ``__main__`` and ``workers`` are
#: the entry points and ``userpools.app`` the one place that wires implementations: they are listed with
#: what they may not import (ALL minus the rest) rather than what they may.
ALL = ("userpools",)
RULES: tuple[Rule, ...] = (
    Rule("userpools.errors", ()),
    Rule("userpools.ids", ()),
    Rule("userpools.clock", ()),
    Rule("userpools.compatibility", ()),
    Rule("userpools.metrics", ()),
    Rule("userpools.logs", ()),
    Rule("userpools.collector", ()),
    Rule("userpools.http", ("userpools.collector",), web=True),
    Rule("userpools.config", ("userpools.protocol.sigv4",)),
    Rule("userpools.tls", ("userpools.config",)),
    Rule("userpools.domain.records", ()),
    Rule("userpools.domain", ("userpools.domain", "userpools.crypto", "userpools.triggers.events",
                              "userpools.triggers.answers")),
    Rule("userpools.crypto", ("userpools.crypto", "userpools.domain.records")),
    Rule("userpools.triggers", ("userpools.triggers", "userpools.domain.records")),
    Rule("userpools.delivery", ("userpools.delivery", "userpools.crypto", "userpools.domain.records",
                                "userpools.storage.ports")),
    Rule("userpools.storage", ("userpools.storage", "userpools.domain.records", "userpools.domain.resources"),
         database=True),
    Rule("userpools.operations", ("userpools.operations", "userpools.domain", "userpools.crypto",
                                  "userpools.delivery", "userpools.triggers", "userpools.storage.ports")),
    Rule("userpools.protocol", ("userpools.protocol", "userpools.operations"), web=True),
    Rule("userpools.oauth", ("userpools.oauth", "userpools.operations", "userpools.domain",
                              "userpools.crypto.keys"), web=True),
    Rule("userpools.hosted_ui", ("userpools.hosted_ui", "userpools.oauth", "userpools.operations",
                                 "userpools.domain"), web=True),
    Rule("userpools.console", ("userpools.console", "userpools.operations", "userpools.domain",
                               "userpools.delivery.mime"), web=True),
    Rule("userpools.provisioning", ("userpools.operations", "userpools.domain", "userpools.crypto",
                                    "userpools.protocol.model",
                                    "userpools.protocol.validation", "userpools.storage.ports")),
    Rule("userpools.portability", ("userpools.domain", "userpools.storage.ports")),
    Rule("userpools.cloning", ("userpools.provisioning", "userpools.operations", "userpools.domain",
                               "userpools.protocol.model", "userpools.storage.ports")),
    Rule("userpools.app", ALL, web=True),
    Rule("userpools.workers", ALL, web=True, database=True),
    Rule("userpools.cli", ALL, web=True, database=True),
    Rule("userpools.pytest_plugin", ALL, web=True),
    Rule("userpools.__main__", ("userpools.cli",)),
)

#: What no module may import even where its rule allows the package (the entry points sit above the app).
NEVER = {
    "userpools.app": ("userpools.cli", "userpools.workers", "userpools.__main__"),
    "userpools.workers": ("userpools.cli", "userpools.__main__"),
    "userpools.pytest_plugin": ("userpools.__main__",),
}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (a userpools submodule when ``from pkg import submodule``)
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "at module level"
        return f"{self.module} imports {self.target} (line {self.line}, {where})"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(module: str, source: str, *, is_package: bool, known: frozenset[str]) -> Iterator[Import]:
    """Every import in ``source`` (the text of ``module``), resolved to absolute module names."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]

    def walk(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, in_function)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    source_module = ".".join([*base, child.module] if child.module else base)
                else:
                    source_module = child.module or ""
                targets = dict.fromkeys(  # one per module named, in order
                    f"{source_module}.{alias.name}" if f"{source_module}.{alias.name}" in known else source_module
                    for alias in child.names
                )
                for target in targets:
                    yield Import(module, target, child.lineno, in_function)
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from walk(child, nested)

    yield from walk(tree, False)


def collect(root: Path = SRC) -> dict[str, list[Import]]:
    paths = sorted((root / PACKAGE).rglob("*.py"))
    known = frozenset(module_name(p, root) for p in paths)
    return {
        module_name(p, root): list(
            imports_of(module_name(p, root), p.read_text(), is_package=p.name == "__init__.py", known=known)
        )
        for p in paths
    }


def rule_for(module: str) -> Rule | None:
    matching = [rule for rule in RULES if _under(module, rule.owner)]
    return max(matching, key=lambda rule: len(rule.owner)) if matching else None


def violations(modules: dict[str, list[Import]]) -> list[str]:
    found: list[str] = []
    for module, imports in modules.items():
        rule = rule_for(module)
        if rule is None:
            if module != PACKAGE:
                found.append(f"{module} has no rule in RULES (add it there and to docs/architecture.md)")
            continue
        for imp in imports:
            top = imp.target.split(".")[0]
            if top == PACKAGE:
                if any(_under(imp.target, never) for never in NEVER.get(rule.owner, ())):
                    found.append(f"{imp}: {rule.owner} must not import {imp.target}")
                elif not (imp.target in FOUNDATION or _under(imp.target, module)
                          or any(_under(imp.target, allowed) for allowed in rule.may_import)):
                    found.append(f"{imp}: {rule.owner} may import only {', '.join(rule.may_import) or 'the foundation'}")
            elif top in WEB and not rule.web:
                found.append(f"{imp}: {rule.owner} must not use the web framework")
            elif top in DATABASE and not rule.database:
                found.append(f"{imp}: {rule.owner} must not use a database library (that is storage's)")
    return found


def record_names(root: Path = SRC) -> set[str]:
    """The names domain/records.py defines (classes and constants)."""
    tree = ast.parse((root / PACKAGE / "domain" / "records.py").read_text())
    names = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    names |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    return names


def records_through_ports(root: Path = SRC) -> list[str]:
    """``from userpools.storage.ports import UserRecord``-style imports: records come from domain.records."""
    records = record_names(root)
    found = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "userpools.storage.ports":
                found += [f"{module_name(path, root)} line {node.lineno}: {alias.name} from userpools.storage.ports"
                          for alias in node.names if alias.name in records]
    return found


def cycles(modules: dict[str, list[Import]]) -> list[list[str]]:
    """The import cycles among userpools' modules (one per strongly connected component, as a path)."""
    graph = {m: sorted({i.target for i in imps if i.target in modules and i.target != m}) for m, imps in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_path_through(component, graph) for component in components]


def _path_through(component: list[str], graph: dict[str, list[str]]) -> list[str]:
    """A cycle inside ``component``, start → … → start (breadth-first back to the start)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in graph[node]:
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if succ in members and succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return component


# --- the tests ---------------------------------------------------------------------------------------------

MODULES = collect()


def test_the_walk_sees_the_whole_package() -> None:
    assert {"userpools.app", "userpools.domain.records", "userpools.operations.auth",
            "userpools.protocol.dispatch", "userpools.storage.ports"} <= set(MODULES)
    assert any(i.target == "userpools.operations.custom_auth" for i in MODULES["userpools.operations.auth"])
    assert any(i.in_function for imps in MODULES.values() for i in imps)  # cli's lazy imports


def test_every_import_follows_the_layering_of_docs_architecture() -> None:
    problems = violations(MODULES)
    assert not problems, "forbidden imports (docs/architecture.md):\n" + "\n".join(problems)


def test_records_are_imported_from_the_domain_not_through_the_storage_ports() -> None:
    problems = records_through_ports()
    assert not problems, "import these from userpools.domain.records:\n" + "\n".join(problems)


def test_no_import_cycle_among_userpools_modules() -> None:
    found = cycles(MODULES)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_every_rule_names_a_package_that_exists_or_is_planned() -> None:
    planned = {"userpools.oauth", "userpools.hosted_ui"}  # the web face's packages (docs/architecture.md)
    owners = {rule.owner for rule in RULES}
    assert owners - planned <= set(MODULES)
    assert len(owners) == len(RULES)


def test_the_docs_table_names_every_rule() -> None:
    text = (SRC.parent / "docs" / "architecture.md").read_text()
    missing = [rule.owner for rule in RULES if f"`{rule.owner.removeprefix('userpools.')}`" not in text]
    assert not missing, f"docs/architecture.md does not mention {missing}"


# --- the checker itself, on small made-up modules ----------------------------------------------------------

KNOWN = frozenset({"userpools.domain", "userpools.domain.users", "userpools.storage", "userpools.storage.ports",
                   "userpools.storage.sql", "userpools.operations", "userpools.operations.auth",
                   "userpools.operations.custom_auth"})


def _imports(module: str, source: str, *, is_package: bool = False) -> dict[str, list[Import]]:
    return {module: list(imports_of(module, source, is_package=is_package, known=KNOWN))}


def test_checker_reports_a_domain_module_importing_storage_inside_a_function() -> None:
    source = "def f():\n    from userpools.storage import ports\n    return ports\n"
    found = violations(_imports("userpools.domain.users", source))
    assert found == [("userpools.domain.users imports userpools.storage.ports (line 2, inside a function): "
                     "userpools.domain may import only userpools.domain, userpools.crypto, "
                     "userpools.triggers.events, userpools.triggers.answers")]


def test_checker_resolves_relative_imports() -> None:
    found = _imports("userpools.operations.auth", "from ..storage import sql\nfrom . import custom_auth\n")
    assert [i.target for i in found["userpools.operations.auth"]] == [
        "userpools.storage.sql", "userpools.operations.custom_auth"]
    assert violations(found) == [("userpools.operations.auth imports userpools.storage.sql (line 1, at module "
                                 "level): userpools.operations may import only userpools.operations, "
                                 "userpools.domain, userpools.crypto, userpools.delivery, userpools.triggers, "
                                 "userpools.storage.ports")]
    in_package = _imports("userpools.storage", "from .ports import Store\n", is_package=True)
    assert [i.target for i in in_package["userpools.storage"]] == ["userpools.storage.ports"]


def test_checker_reports_the_web_framework_and_database_libraries_below_the_faces() -> None:
    found = violations(_imports("userpools.operations.auth", "import starlette.requests\nimport sqlalchemy\n"))
    assert [line.rpartition(": ")[2] for line in found] == [
        "userpools.operations must not use the web framework",
        "userpools.operations must not use a database library (that is storage's)"]


def test_checker_finds_a_cycle_and_names_its_path() -> None:
    modules = {
        "userpools.operations.auth": [Import("userpools.operations.auth", "userpools.operations.custom_auth", 1, False)],
        "userpools.operations.custom_auth": [Import("userpools.operations.custom_auth", "userpools.operations.auth", 9,
                                                    True)],
        "userpools.domain.users": [],
    }
    assert cycles(modules) == [["userpools.operations.auth", "userpools.operations.custom_auth",
                                "userpools.operations.auth"]]
