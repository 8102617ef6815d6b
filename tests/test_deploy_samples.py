from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).parent.parent
COMPOSE = yaml.safe_load((REPO / "deploy" / "postgres" / "compose.yaml").read_text(encoding="utf-8"))
WORKERS = sorted(name for name, service in COMPOSE["services"].items() if "brandpulse" in str(service.get("command")))


def _writable_volume(service: dict, folder: str) -> str | None:
    """The named volume mounted read-write on `folder` or a folder above it, None when the path is the container's."""
    for mount in service.get("volumes", []):
        source, target, *mode = mount.split(":")
        if PurePosixPath(folder).is_relative_to(target) and "ro" not in mode and not source.startswith((".", "/")):
            return source
    return None


def test_the_compose_sketch_has_its_four_workers():
    assert WORKERS == ["alerts", "classify", "collect", "deliver"]


@pytest.mark.parametrize("worker", WORKERS)
def test_each_compose_worker_keeps_its_model_cache_on_a_writable_volume(worker):
    service = COMPOSE["services"][worker]
    cache = service["environment"].get("BRANDPULSE_CACHE")

    assert cache and _writable_volume(service, cache) in COMPOSE["volumes"]


@pytest.mark.parametrize("worker", WORKERS)
def test_each_compose_worker_writes_its_outbox_to_a_volume_not_beside_the_read_only_config(worker):
    service = COMPOSE["services"][worker]
    outbox = service["environment"].get("BRANDPULSE_OUTBOX_DIR")

    assert outbox and _writable_volume(service, outbox) in COMPOSE["volumes"]
