"""The package's layers: imports run one way, from values up to the entry points.

``cnnexplain/_layers.py`` gives each subsystem a rank; a module may import its
own subsystem and any lower rank. An import of a higher rank (or of another
subsystem of the same rank) is allowed only inside a function and only when
``LAZY_UPWARD`` lists it, with the reason; imports under ``if TYPE_CHECKING:``
never run and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cnnexplain._layers import LAZY_UPWARD, RANKS

PACKAGE = Path(__file__).parent.parent / "cnnexplain"


def subsystem(module: str) -> str:
    """``cnnexplain._graph.model`` → ``_graph``; ``cnnexplain`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.AST) -> list[str]:
    """The cnnexplain modules an import statement loads (none for other statements)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("cnnexplain.")]
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return []
    if node.module == "cnnexplain":  # `from cnnexplain import _publish`, or a subsystem
        return [f"cnnexplain.{a.name}" for a in node.names if a.name in RANKS]
    return [node.module] if node.module.startswith("cnnexplain.") else []


def _imports(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """(line, imported module, inside a function) for each cnnexplain import that runs."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse, lazy)
                continue
            found.extend((getattr(child, "lineno", 0), t, lazy) for t in _targets(child))
            function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, lazy or function)

    visit(tree, lazy=False)
    return found


def violations(sources: dict[Path, str]) -> list[str]:
    """Every import that runs against the layers, as ``file:line: message``."""
    problems = []
    for path, text in sorted(sources.items()):
        source = subsystem(module_name(path))
        if source not in RANKS:
            problems.append(f"{path}: subsystem {source!r} has no rank in cnnexplain/_layers.py")
            continue
        for line, target_module, lazy in _imports(ast.parse(text)):
            target = subsystem(target_module)
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if target not in RANKS:
                problems.append(f"{where}: {target_module} is in no subsystem")
                continue
            if target == source or RANKS[target] < RANKS[source]:
                continue
            if lazy and (source, target) in LAZY_UPWARD:
                continue
            kind = "lazy import" if lazy else "import"
            problems.append(
                f"{where}: {kind} of {target_module} runs upward "
                f"({source} is rank {RANKS[source]}, {target} rank {RANKS[target]})"
            )
    return problems


def package_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}


def test_imports_run_one_way() -> None:
    assert violations(package_sources()) == []


def test_an_upward_import_is_named_with_its_file_and_line() -> None:
    sources = package_sources()
    formula = PACKAGE / "_formula.py"
    sources[formula] = "from cnnexplain._render.tables import text\n" + sources[formula]
    sources[PACKAGE / "_shapes.py"] += "\ndef f():\n    from cnnexplain._graph.model import X\n"
    problems = violations(sources)
    assert problems[0] == (
        "cnnexplain/_formula.py:1: import of cnnexplain._render.tables runs upward "
        "(_formula is rank 1, _render rank 7)"
    )
    assert problems[1].startswith("cnnexplain/_shapes.py:")
    assert "lazy import of cnnexplain._graph.model runs upward" in problems[1]
    assert len(problems) == 2


def test_every_listed_upward_import_is_still_needed() -> None:
    used = set()
    for path, text in package_sources().items():
        source = subsystem(module_name(path))
        for _, target_module, lazy in _imports(ast.parse(text)):
            if lazy:
                used.add((source, subsystem(target_module)))
    assert set(LAZY_UPWARD) <= used, set(LAZY_UPWARD) - used
