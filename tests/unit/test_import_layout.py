"""The house has no import circle: no module of `src/hangar` reaches itself through its imports
(those made only for type checking included), and the ports module, which every feature and
adapter imports, imports nothing of hangar but the ground floor (errors).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Module -> the hangar modules it imports (a `from package import name` counts the
    submodule when there is one, else the package).
    """
    modules = {_module(p): p for p in (SRC / "hangar").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_module_reaches_itself_through_its_imports() -> None:
    found = circle(imports())
    assert found is None, " -> ".join(found or ())


def test_the_ports_import_nothing_of_the_features() -> None:
    assert imports()["hangar.ports"] <= {"hangar.errors"}


def test_a_circle_is_found_when_there_is_one() -> None:
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": set()}) is None


# what each feature package of hangar.image may import of the others (its docstring says so)
IMAGE_FEATURES = {
    "building": set(),
    "inspecting": set(),
    "verifying": set(),
    "releasing": {"building", "inspecting", "verifying"},
    "trust": {"releasing", "inspecting", "verifying"},
}


def test_the_image_features_import_each_other_one_way() -> None:
    for module, imported in imports().items():
        parts = module.split(".")
        if parts[:2] != ["hangar", "image"] or len(parts) < 4:
            continue
        feature = parts[2]
        others = {m.split(".")[2] for m in imported if m.startswith("hangar.image.")} - {feature}
        assert others <= IMAGE_FEATURES[feature], f"{module} imports {others}"
