"""The layout keeps its promises: imports point down, the GraphQL layer stays out of the
services and repositories, and only repositories touch Tortoise (and the visibility generation).

Layers, lowest first (a module may import its own layer and those below):
  core        core/*, settings, db, files/storage.py and files/s3.py (where bytes are kept)
  models      */models.py, portal/settings.py (the portal's configuration values),
              targets/calendar.py (working-hours arithmetic on values)
              automations/rules.py (a rule's conditions and actions as values)
  policy      policy.py: rules only (Viewer, filters, field rules, the permission table)
  repository  */repository.py, */loaders.py, conversations/audience.py: the domain code that
              runs queries (services do not)
  services    */services.py and the domains' other modules (accounts/passwords, mail/…, inbound/…,
              automations/engine.py)
  graphql     graphql/context, errors, inputs, limits, money, pagination (not schema.py), and
              fair_use (the budgets and places a request runs in)
  resolvers   */types.py, */api.py
  app         app, http, cli, demo, fair_use, web, graphql/schema.py (assembles the schema)
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "backend" / "clientela"
LAYERS = {
    "core": ("core/*", "settings.py", "db.py", "files/storage.py", "files/s3.py"),
    "models": ("*/models.py", "portal/settings.py", "targets/calendar.py", "automations/rules.py"),
    "policy": ("policy.py",),
    "repository": ("*/repository.py", "*/loaders.py", "conversations/audience.py"),
    "services": ("*/services.py", "accounts/*", "mail/*", "inbound/*", "people/language.py", "automations/engine.py"),
    "graphql": ("graphql/*", "fair_use.py"),
    "resolvers": ("*/types.py", "*/api.py"),
    "app": ("*",),
}
OWN_LAYER = {"graphql/schema.py": "app"}  # the assembly sits on top
ORDER = list(LAYERS)


def layer_of(path: str) -> str:
    if path in OWN_LAYER:
        return OWN_LAYER[path]
    if fnmatch(path, "*/types.py") or fnmatch(path, "*/api.py"):
        return "resolvers"
    return next(name for name, patterns in LAYERS.items() if any(fnmatch(path, p) for p in patterns))


def modules() -> dict[str, str]:
    """Module name → path inside the package, without the migrations."""
    found = {}
    for file in PACKAGE.rglob("*.py"):
        path = file.relative_to(PACKAGE).as_posix()
        if not path.startswith("migrations/"):
            found["clientela." + path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")] = path
    return found


def imports(path: str, known: dict[str, str]) -> list[tuple[int, str]]:
    """(line, module) of every clientela module `path` imports, TYPE_CHECKING blocks included."""
    found = []
    for node in ast.walk(ast.parse((PACKAGE / path).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clientela"):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.append((node.lineno, name if name in known else node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("clientela")]
    return [(line, name) for line, name in found if name in known and not known[name].endswith("__init__.py")]


def test_imports_point_down():
    known = modules()
    upward = [
        f"{path}:{line} ({layer_of(path)}) imports {known[name]} ({layer_of(known[name])})"
        for path in known.values()
        for line, name in imports(path, known)
        if ORDER.index(layer_of(known[name])) > ORDER.index(layer_of(path))
    ]
    assert upward == []


def test_the_graphql_layer_imports_no_models():
    known = modules()
    found = [
        f"{path}:{line} imports {name}"
        for path in known.values()
        if path.startswith("graphql/")
        for line, name in imports(path, known)
        if known[name].endswith("models.py")
    ]
    assert found == []


def _files(pattern: str) -> list[Path]:
    return sorted(f for f in PACKAGE.rglob("*.py") if fnmatch(f.relative_to(PACKAGE).as_posix(), pattern))


def test_services_and_repositories_do_not_speak_graphql():
    found = [
        f"{file.relative_to(PACKAGE)}: {line.strip()}"
        for file in _files("*/services.py") + _files("*/repository.py")
        for line in file.read_text().splitlines()
        if re.match(r"\s*(from strawberry|import strawberry|from graphql|import graphql)\b", line)
    ]
    assert found == []


# A query run from a model class: Task.filter(…), Share.get(…), Project.create(…)…
MODEL_QUERY = re.compile(
    r"\b[A-Z]\w*\.(filter|exclude|all|get|get_or_none|get_or_create|update_or_create|create|bulk_create|"
    r"bulk_update|exists|first|select_for_update|raw|annotate)\("
)


def test_only_repositories_run_queries():
    found = [
        f"{file.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for file in _files("*/services.py")
        for number, line in enumerate(file.read_text().splitlines(), 1)
        if MODEL_QUERY.search(line) or re.search(r"\bin_transaction\(|from tortoise\b|\.save\(|\.delete\(\)", line)
    ]
    assert found == []


def test_only_repositories_move_the_visibility_generation():
    found = [
        f"{file.relative_to(PACKAGE)}:{number}"
        for file in PACKAGE.rglob("*.py")
        if not fnmatch(file.name, "repository.py")
        for number, line in enumerate(file.read_text().splitlines(), 1)
        if "visibility_changed(" in line
    ]
    assert found == []


def test_the_policy_asks_the_database_nothing():
    """policy.py builds filters (a subquery is part of a filter) and decides on facts it is
    given; it awaits nothing."""
    source = (PACKAGE / "policy.py").read_text()
    assert re.findall(r".*\bawait\b.*|.*\basync def\b.*", source) == []
