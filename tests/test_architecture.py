"""The layering the README's architecture section states, checked on the source."""

import ast

from tests.conftest import REPO


def imported_modules(path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_no_library_module_imports_the_jobs_package():
    """Only the CLI runs jobs: a notebook that imports the library never loads the scheduler."""
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "jobs"
        )
        for path in sorted((REPO / "monitor").rglob("*.py"))
        if path.name != "cli.py"
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
    assert any(m.startswith("jobs") for m in imported_modules(REPO / "monitor" / "cli.py"))
