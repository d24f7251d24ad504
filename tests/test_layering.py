"""The house's layering rules (docs/design/architecture.md), checked on every import in the package.

Every `import` and `from ... import` in studio_ext, at module level or inside a function, is
resolved to an absolute module name and checked against the table below. A rule names a layer
(a subpackage of studio_ext) and the modules it must never import; breaking one fails with the
file, the line and the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "studio_ext"


@dataclass(frozen=True)
class Rule:
    layer: str  # a folder of studio_ext
    forbidden: tuple[str, ...]  # module prefixes it must not import
    why: str
    allowed_studio: tuple[str, ...] | None = None  # if set: the only studio_ext modules it may import


RULES = [
    Rule("handlers", ("studio_ext.store", "sqlalchemy", "mlflow", "papermill", "studio_ext.runner"),
         "handlers are the REST layer: they parse, authorize and call a service"),
    Rule("services", ("tornado", "jupyter_server", "studio_ext.handlers", "studio_ext.app"),
         "services run in the agent, the CLI and tests too, without a web server"),
    Rule("runner", ("studio_ext.services", "studio_ext.handlers", "studio_ext.app", "tornado", "jupyter_server"),
         "the runner runs in other processes: it gets ids and URLs, never services"),
    Rule("store", (), "the store knows only the schemas' enums",
         allowed_studio=("studio_ext.store", "studio_ext.schemas", "studio_ext.exceptions")),
    Rule("schemas", (), "schemas are the leaf every layer shares",
         allowed_studio=("studio_ext.schemas",)),
    Rule("sdk", (), "the SDK is a REST client: it shares only the schemas and the error table",
         allowed_studio=("studio_ext.sdk", "studio_ext.schemas", "studio_ext.exceptions")),
    Rule("cli", (), "the CLI is a thin layer over the SDK (and acts locally for `studio agent` and `studio keys`)",
         allowed_studio=("studio_ext.cli", "studio_ext.sdk", "studio_ext.runner.agent", "studio_ext.paths",
                         "studio_ext.security.keys")),
    Rule("serving", ("studio_ext.services", "studio_ext.handlers", "studio_ext.store", "studio_ext.runner",
                     "studio_ext.app", "jupyter_server", "sqlalchemy"),
         "serving starts in every replica: its imports stay lean and it never reaches the database"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, list[str]]]:
    """(line, absolute names) of every import statement; `from x import y` names x and x.y (y may be
    a module or an attribute: either may break a rule)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, [target] + [f"{target}.{alias.name}" for alias in node.names]))
    return found


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _violations(rule: Rule) -> list[str]:
    folder = PACKAGE / rule.layer
    files = sorted(folder.rglob("*.py")) if folder.is_dir() else []
    assert files, f"layer {rule.layer!r} has no modules under {folder}"
    bad = []
    for path in files:
        if "migrations" in path.parts and path.name != "__init__.py":
            continue  # Alembic scripts use Alembic's own imports; the migrations package is checked
        for line, names in _imports(path):
            for target in names:
                forbidden = any(_matches(target, p) for p in rule.forbidden)
                outside = (rule.allowed_studio is not None and _matches(target, "studio_ext")
                           and target != "studio_ext"
                           and not any(_matches(target, p) for p in rule.allowed_studio))
                if forbidden or outside:
                    bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target} ({rule.why})")
                    break
    return bad


@pytest.mark.parametrize("rule", RULES, ids=[r.layer for r in RULES])
def test_given_the_package_when_its_imports_are_read_then_the_layer_keeps_its_rule(rule):
    assert _violations(rule) == []


def test_given_a_forbidden_import_when_checked_then_the_rule_reports_it(tmp_path):
    # The checker itself must be able to fail: a handler importing the store is caught.
    fake = tmp_path / "studio_ext"
    (fake / "handlers").mkdir(parents=True)
    (fake / "handlers" / "bad.py").write_text("from ..store import orm\n\ndef f():\n    import mlflow\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, fake
    try:
        found = _violations(RULES[0])
    finally:
        PACKAGE = saved
    assert any("imports studio_ext.store" in v for v in found)
    assert any("imports mlflow" in v for v in found)
