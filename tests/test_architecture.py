import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STAGES = ("collectors", "sentiment", "store", "alerts")
# What each package may import from the project: dependencies point one way, towards the records.
ALLOWED = {
    "collectors": set(),
    "sentiment": set(),
    "alerts": set(),
    "store": {"collectors", "sentiment", "alerts"},
}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & (set(STAGES) | {"brandpulse"})


@pytest.mark.parametrize("package", STAGES)
def test_stage_packages_import_only_what_the_pipeline_order_allows(package):
    for module in (REPO / package).rglob("*.py"):
        forbidden = _project_imports(module) - ALLOWED[package] - {package}
        assert not forbidden, f"{module.relative_to(REPO)} imports {sorted(forbidden)}"
