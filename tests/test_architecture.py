"""Rules of the code's shape that the linters do not check."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
# The command line imports what each command needs when it runs (start-up time).
LAZY_IMPORTS_ALLOWED = {APP / "cli.py"}


def _is_app(module: str | None) -> bool:
    return module is not None and (module == "app" or module.startswith("app."))


def test_no_app_module_is_imported_inside_a_function() -> None:
    """An import inside a function hides a dependency (and often a cycle) from the
    import-linter contracts; app modules are imported at the top of the module."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path in LAZY_IMPORTS_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if (isinstance(inner, ast.ImportFrom) and _is_app(inner.module)) or (
                    isinstance(inner, ast.Import) and any(_is_app(a.name) for a in inner.names)
                ):
                    found.append(f"{path.relative_to(APP)}:{inner.lineno}")
    assert found == []
