"""The direction of dependencies, checked by reading every module's imports with `ast`.

The allowed arrows (README "Where things are"; the design's "Layout and direction of
dependencies"):

    api, web -> service -> search -> catalogue -> seed_data

- catalogue/ is the domain: it imports only itself and seed_data (the seed loader reads its
  files and runs its synthetic generator); never flask, a search engine, api or web.
- search/ imports catalogue only; never flask, api or web.
- service/ is the Flask plumbing api/ and web/ share (the request's database session, the
  search extension and a search request's parsing, downloads): it imports search and catalogue,
  flask and marshmallow, never api or web.
- api/ and web/ import service, search and catalogue, never each other (the front end calls the
  domain as the API does, never the API), except the one arrow in ALLOWED_ARROWS: the app
  factory registers the web pages.
- seed_data/ is data and a pure generator: it imports no package of the project.
- Inside api/, a resource package (api/<resource>/) never imports another resource's `routes`:
  what two resources share belongs in api/common/ or a top-level api module.
- No import cycle between modules, and no project import inside a function unless it is in
  LAZY_IMPORTS with its reason (an import moved into a function is the usual way to hide one).

Every import counts: at module level, inside functions and under `if TYPE_CHECKING:`, except
that a type-checking import cannot make a cycle at run time and is left out of the cycle check
(mapped classes with two-way relationships name each other that way).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("catalogue", "search", "service", "api", "web", "seed_data")

# Which project packages each package may import (itself included).
ALLOWED = {
    "catalogue": {"catalogue", "seed_data"},
    "search": {"search", "catalogue"},
    "service": {"service", "search", "catalogue"},
    "api": {"api", "service", "search", "catalogue"},
    "web": {"web", "service", "search", "catalogue"},
    "seed_data": {"seed_data"},
}
# Third-party packages a layer must not import (the web framework and the search engines).
WEB_FRAMEWORK = {"flask", "flask_smorest", "flask_login", "flask_wtf", "werkzeug", "jinja2"}
FORBIDDEN_LIBRARIES = {
    "catalogue": WEB_FRAMEWORK | {"marshmallow", "tantivy", "elasticsearch", "gunicorn"},
    "search": WEB_FRAMEWORK | {"marshmallow", "gunicorn"},
    "seed_data": WEB_FRAMEWORK | {"sqlalchemy", "tantivy", "elasticsearch"},
    # flask and marshmallow, yes; the API's and the pages' own libraries and the engines, no.
    "service": {"flask_smorest", "flask_login", "flask_wtf", "tantivy", "elasticsearch"},
}

# Single arrows allowed against the layers, each with why: (importer module, imported module).
ALLOWED_ARROWS = {
    ("api.app", "web"): "api.app is the composition root: its create_app builds the one app "
    "and registers the web pages beside the API",
}

# Imports of the project's own modules inside a function, each with why it is lazy.
LAZY_IMPORTS = {
    ("api", "api.app"): "create_app on first use: `gpsoc serve` sets Prometheus' multiprocess "
    "directory before the app's modules are loaded",
    ("api.server", "api"): "gunicorn builds the app in each worker, after the environment is set",
    ("api.cli", "api.server"): "only `gpsoc serve` needs gunicorn and the app",
    ("api.cli", "catalogue.seeding"): "start-up time: only `gpsoc seed` reads YAML",
    ("api.cli", "catalogue.accounts"): "start-up time: only `gpsoc create-token` issues tokens",
    ("api.cli", "catalogue.principal"): "start-up time: only `gpsoc create-token` needs it",
    ("api.cli", "search"): "start-up time: only the search commands load an engine (tantivy)",
    ("api.cli", "service.notify"): "start-up time: only `gpsoc notify-worker` loads the senders",
}

# Violations still on this branch, tolerated until the change removing them is merged; the lead
# empties this list at merge. Entries are (rule, importer, imported) with the rule "upward",
# "cross-resource" or "lazy". An entry that no longer occurs fails the test (remove it then).
KNOWN_VIOLATIONS: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, dotted
    imported: str  # a project module, dotted, or a third-party package's top-level name
    path: str  # relative to the root, for the message
    line: int
    in_function: bool
    type_checking: bool
    project: bool

    def __str__(self) -> str:
        where = " (inside a function)" if self.in_function else ""
        where += " (under TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.importer} imports {self.imported} at {self.path}:{self.line}{where}"


# --------------------------------------------------------------------------- reading imports


def module_names(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages under root, by dotted name."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(
    body: list[ast.stmt], in_function: bool = False, type_checking: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement, with whether it is inside a function or a TYPE_CHECKING block."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function, type_checking
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _statements(node.body, True, type_checking)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _statements(node.body, in_function, True)
            yield from _statements(node.orelse, in_function, type_checking)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if inner:
                    yield from _statements(inner, in_function, type_checking)


def _project_module(name: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `name` is or lies in."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def read_imports(root: Path, packages: Iterable[str] = PACKAGES) -> list[Import]:
    modules = module_names(root, packages)
    found = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        for node, in_function, type_checking in _statements(tree.body):
            for target in _targets(node, importer, is_package, modules):
                module = _project_module(target, modules)
                if module is None and target.split(".")[0] in PACKAGES:
                    module = target  # a project package not on disk here (web/, say)
                found.append(
                    Import(
                        importer,
                        module or target.split(".")[0],
                        path.relative_to(root).as_posix(),
                        node.lineno,
                        in_function,
                        type_checking,
                        project=module is not None,
                    )
                )
    return found


def _targets(
    node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: dict[str, Path]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    # `from package import module` imports the module; `from module import name` the module.
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
        for alias in node.names
    ]


# --------------------------------------------------------------------------- the rules


def upward_imports(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    problems = []
    for each in imports:
        layer = each.importer.split(".")[0]
        target = each.imported.split(".")[0]
        if (each.importer, each.imported) in ALLOWED_ARROWS:
            continue
        if each.project and target not in ALLOWED[layer]:
            allowed = ", ".join(sorted(ALLOWED[layer] - {layer})) or "no other project package"
            problems.append((each, f"{each}: {layer}/ may import only {allowed}"))
        elif not each.project and target in FORBIDDEN_LIBRARIES.get(layer, ()):
            problems.append((each, f"{each}: {layer}/ must not import {target}"))
    return problems


def _resource(module: str) -> str | None:
    """The api resource package a module belongs to (api/common/ is shared plumbing)."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "api" and parts[1] != "common":
        return parts[1]
    return None


def cross_resource_imports(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    problems = []
    for each in imports:
        mine, theirs = _resource(each.importer), _resource(each.imported)
        if mine and theirs and mine != theirs and each.imported.split(".")[2] == "routes":
            message = (
                f"{each}: the api resource {mine} must not import the routes of the resource "
                f"{theirs} (move what they share to api/common/)"
            )
            problems.append((each, message))
    return problems


def function_level_imports(imports: Iterable[Import]) -> list[Import]:
    return [each for each in imports if each.project and each.in_function]


def cycles(imports: Iterable[Import]) -> list[list[Import]]:
    """Each import cycle (a strongly connected set of modules), as the imports that form it."""
    edges: dict[str, dict[str, Import]] = {}
    for each in imports:
        if each.project and not each.type_checking and each.importer != each.imported:
            edges.setdefault(each.importer, {}).setdefault(each.imported, each)
    found = []
    for component in _strongly_connected(edges):
        if len(component) > 1:
            found.append(
                [
                    edge
                    for module in sorted(component)
                    for target, edge in sorted(edges.get(module, {}).items())
                    if target in component
                ]
            )
    return found


def _strongly_connected(edges: dict[str, dict[str, Import]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


# --------------------------------------------------------------------------- the project


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    found = read_imports(ROOT)
    # The walk itself must have found the project (a test that reads nothing passes anything).
    assert {each.importer.split(".")[0] for each in found} >= {"catalogue", "search", "api"}
    return found


def _known(rule: str, each: Import) -> bool:
    return (rule, each.importer, each.imported) in KNOWN_VIOLATIONS


def test_nothing_imports_upwards(imports):
    problems = [message for each, message in upward_imports(imports) if not _known("upward", each)]
    assert not problems, "Imports against the direction of dependencies:\n" + "\n".join(problems)


def test_no_api_resource_imports_another_resources_routes(imports):
    problems = [
        message
        for each, message in cross_resource_imports(imports)
        if not _known("cross-resource", each)
    ]
    assert not problems, "\n".join(problems)


def test_there_is_no_import_cycle(imports):
    problems = [
        "A cycle between "
        + ", ".join(sorted({e.importer for e in cycle}))
        + ":\n  "
        + "\n  ".join(str(e) for e in cycle)
        for cycle in cycles(imports)
    ]
    assert not problems, "\n".join(problems)


def test_every_import_inside_a_function_is_a_justified_lazy_import(imports):
    problems = [
        f"{each}: import it at the top of the module, or add it to LAZY_IMPORTS with the reason"
        for each in function_level_imports(imports)
        if (each.importer, each.imported) not in LAZY_IMPORTS and not _known("lazy", each)
    ]
    assert not problems, "\n".join(problems)


def test_the_allowances_are_all_still_needed(imports):
    lazy = {(each.importer, each.imported) for each in function_level_imports(imports)}
    occurring = {("lazy", *key) for key in lazy}
    occurring |= {("upward", e.importer, e.imported) for e, _ in upward_imports(imports)}
    occurring |= {
        ("cross-resource", e.importer, e.imported) for e, _ in cross_resource_imports(imports)
    }
    stale = [f"LAZY_IMPORTS {key} no longer occurs" for key in LAZY_IMPORTS if key not in lazy]
    arrows = {(each.importer, each.imported) for each in imports}
    stale += [
        f"ALLOWED_ARROWS {key} no longer occurs" for key in ALLOWED_ARROWS if key not in arrows
    ]
    stale += [f"KNOWN_VIOLATIONS {key} no longer occurs" for key in KNOWN_VIOLATIONS - occurring]
    assert not stale, "Remove the entries:\n" + "\n".join(stale)


# --------------------------------------------------------------------------- the public APIs


def _catalogue_packages() -> list[str]:
    return sorted(
        f"catalogue.{path.parent.name}"
        for path in (ROOT / "catalogue").glob("*/__init__.py")
        if path.parent.name != "migrations"  # Alembic's folder, not a domain area
    )


@pytest.mark.parametrize("package", _catalogue_packages())
def test_each_catalogue_package_exports_its_api_with___all__(package):
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported, f"{package}/__init__.py must list its public API in __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what the package does not have: {missing}"
    assert len(set(exported)) == len(exported), f"{package}.__all__ repeats a name"


# --------------------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_each_kind_of_violation(tmp_path):
    _write(
        tmp_path,
        {
            "catalogue/__init__.py": "",
            "catalogue/a.py": "from catalogue import b\n",
            "catalogue/b.py": "def f():\n    from . import a\n",
            "catalogue/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from search import engine\nimport flask\n",
            "search/__init__.py": "",
            "search/engine.py": "from api.app import x\n",
            "api/__init__.py": "",
            "api/app.py": "",
            "api/common/__init__.py": "",
            "api/common/etags.py": "",
            "api/one/__init__.py": "",
            "api/one/routes.py": "from api.two.routes import f\nfrom api.common import etags\n"
            "from api.two import schemas\n",
            "api/two/__init__.py": "",
            "api/two/routes.py": "",
            "api/two/schemas.py": "",
            "seed_data/__init__.py": "import catalogue.a\n",
        },
    )
    found = read_imports(tmp_path, ("catalogue", "search", "api", "seed_data"))
    upward = [message for _, message in upward_imports(found)]
    assert any(
        p.startswith("catalogue.c imports search.engine at catalogue/c.py:3") for p in upward
    )
    assert any("catalogue/ must not import flask" in p for p in upward)
    assert any(p.startswith("search.engine imports api.app") for p in upward)
    assert any(p.startswith("seed_data imports catalogue.a") for p in upward)
    assert len(upward) == 4, upward
    crossing = [message for _, message in cross_resource_imports(found)]
    assert len(crossing) == 1 and crossing[0].startswith("api.one.routes imports api.two.routes")
    assert [str(e) for e in function_level_imports(found)] == [
        "catalogue.b imports catalogue.a at catalogue/b.py:2 (inside a function)"
    ]
    (cycle,) = cycles(found)
    assert {(e.importer, e.imported) for e in cycle} == {
        ("catalogue.a", "catalogue.b"),
        ("catalogue.b", "catalogue.a"),
    }
