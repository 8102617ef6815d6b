import ast
import re
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
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
            if node.module == "brandpulse":
                modules.extend(f"brandpulse.{alias.name}" for alias in node.names)
    return {_project_part(module) for module in modules} - {None}


def _project_part(module: str) -> str | None:
    """'brandpulse.store.db' -> 'store'; the composition root -> 'brandpulse'; other libraries -> None."""
    parts = module.split(".")
    if parts[0] != "brandpulse":
        return "bare " + parts[0] if parts[0] in STAGES else None
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "brandpulse"


@pytest.mark.parametrize("package", STAGES)
def test_stage_packages_import_only_what_the_pipeline_order_allows(package):
    for module in (REPO / package).rglob("*.py"):
        forbidden = _project_imports(module) - ALLOWED[package] - {package}
        assert not forbidden, f"{module.relative_to(REPO)} imports {sorted(forbidden)}"


@pytest.mark.parametrize("package", (*STAGES, "brandpulse", "tests", "bench"))
def test_every_import_names_the_single_brandpulse_package(package):
    for module in (REPO / package).rglob("*.py"):
        bare = {name for name in _project_imports(module) if name.startswith("bare ")}
        assert not bare, f"{module.relative_to(REPO)} imports {sorted(bare)} outside brandpulse."


def test_tests_read_nothing_from_beside_the_clone():
    # Recordings a test needs live under tests/ with their provenance, so a clone without ../shared passes.
    pattern = re.compile(r"""\.\./shared|parent\s*/\s*["']shared["']""")
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "tests").rglob("*.py")
                 if path.name != Path(__file__).name and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
