"""The layering docs/architecture.md states, checked on the source: every module placed, no
import up the layers, none between independent plug-in packages, no circle."""

import ast
import re

from tests.conftest import REPO

PACKAGES = ("monitor", "jobs")


def module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, object]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def imported_modules(path) -> set[str]:
    """Every module a file imports: at the top, inside a function, for type hints."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project's modules it imports."""
    known = modules()
    return {
        name: {m for m in imported_modules(path) if m in known and m != name}
        for name, path in known.items()
    }


def documented_layers() -> tuple[dict[str, int], set[int]]:
    """docs/architecture.md's ```layers block: name → layer, and the independent layers."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S).group(1)
    placed, independent = {}, set()
    for line in block.strip().splitlines():
        head, _, names = line.partition(":")
        level = int(head.split()[0])
        if "(independent)" in head:
            independent.add(level)
        placed |= {name: level for name in names.split()}
    return placed, independent


def placement(module: str, placed: dict[str, int]) -> tuple[str, int] | None:
    """The longest documented name covering ``module``, and its layer."""
    covering = [n for n in placed if module == n or module.startswith(n + ".")]
    if not covering:
        return None
    best = max(covering, key=len)
    return best, placed[best]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_placed_in_a_documented_layer():
    placed, _ = documented_layers()
    assert [m for m in sorted(modules()) if placement(m, placed) is None] == []


def test_no_import_runs_up_the_layers_or_between_independent_packages():
    placed, independent = documented_layers()
    graph = import_graph()
    upward, sideways = [], []
    for module, targets in graph.items():
        (unit, level) = placement(module, placed)
        for target in sorted(targets):
            (target_unit, target_level) = placement(target, placed)
            if target_level > level:
                upward.append(f"{module} (layer {level}) -> {target} (layer {target_level})")
            elif level == target_level in independent and unit != target_unit:
                sideways.append(f"{module} -> {target}")
    assert upward == []
    assert sideways == []


def test_the_imports_form_no_circle():
    assert circles(import_graph()) == []


def test_the_checks_see_a_circle_and_an_upward_edge():
    """The walker itself: a made-up graph with a circle, and a real upward import."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    placed, _ = documented_layers()
    assert placement("monitor.sources.mastodon", placed) == ("monitor.sources", 2)
    assert placement("monitor.cli", placed)[1] > placement("monitor.store", placed)[1]
    assert (
        "monitor.store" in import_graph()["monitor.cli"]
        or "monitor.wiring" in (import_graph()["monitor.cli"])
    )


def test_no_library_module_imports_the_jobs_package():
    """Only the CLI runs jobs: a notebook that imports the library never loads the scheduler."""
    graph = import_graph()
    offenders = {
        module: sorted(t for t in targets if t.split(".")[0] == "jobs")
        for module, targets in graph.items()
        if module.startswith("monitor.") and module != "monitor.cli"
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
    assert any(t.startswith("jobs") for t in graph["monitor.cli"])
