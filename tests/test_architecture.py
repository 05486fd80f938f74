"""The shape DESIGN.md asks for, checked: no import cycles between packages, a light config
import, and one SQLite opener."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "switchgear"


def _module_level_imports(tree: ast.Module) -> list[str]:
    """`switchgear.*` imports that run when the module is imported: not those inside
    functions (lazy by design) or under `if TYPE_CHECKING:`."""
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else []:
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("switchgear"):
                found.append(str(inner.module))
            elif isinstance(inner, ast.Import):
                found += [a.name for a in inner.names if a.name.startswith("switchgear")]
    return found


def _unit(module: str) -> str:
    """The package a module belongs to (`switchgear.guards.pii` -> `guards`), or the module
    itself for top-level modules (`switchgear.pipeline` -> `pipeline`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        me = _unit(".".join(parts))
        for imported in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            other = _unit(imported)
            if other != me:
                graph[me].add(other)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_between_packages() -> None:
    graph = package_graph()
    assert "pipeline" in graph and "guards" in graph["stages"]  # the graph is real
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_importing_the_config_stays_light() -> None:
    heavy = ["httpx", "aiohttp", "onnxruntime", "tokenizers", "numpy", "llama_cpp", "psycopg"]
    probe = (
        "import sys, switchgear.config as c; c.load_config(None); c.plugin_problems(c.Config());"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sqlite_is_opened_in_one_place() -> None:
    openers = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if any(s in p.read_text(encoding="utf-8") for s in ("sqlite3.connect(", "busy_timeout"))
    ]
    assert openers == ["store/sqlite_connect.py"]
