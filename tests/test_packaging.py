import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_built_wheel_installs_one_top_level_package_with_the_stage_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names if not name.endswith(".dist-info/RECORD") and ".dist-info/" not in name} == {"brandpulse"}
    for expected in ("brandpulse/collectors/twitter.py", "brandpulse/store/migrations.py",
                     "brandpulse/collectors/data/demo_mentions.jsonl", "brandpulse/alerts/templates/alert.txt",
                     "brandpulse/alerts/data/theme_background.json.gz",
                     "brandpulse/templates/config.yaml.j2"):
        assert expected in names
    assert any(name.startswith("brandpulse/sentiment/weights/") for name in names)



def _settings(unit: str) -> dict[str, list[str]]:
    """A systemd unit's settings, each with its values in order (Environment= may be given more than once)."""
    settings: dict[str, list[str]] = {}
    for line in (REPO / "deploy" / unit).read_text(encoding="utf-8").splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith(("#", ";")):
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_systemd_unit_keeps_the_store_in_its_state_directory_not_beside_the_read_only_config():
    service = _settings("brandpulse.service")
    state = Path("/var/lib") / service["StateDirectory"][0]
    env = dict(item.split("=", 1) for line in service["Environment"] for item in line.split())

    # Relative store paths resolve against the config's folder, which ProtectSystem=strict leaves read-only.
    assert service["ProtectSystem"] == ["strict"] and Path(env["BRANDPULSE_CONFIG"]).parent != state
    assert Path(env["BRANDPULSE_DB"]).parent == state == Path(service["WorkingDirectory"][0])
    assert service["StateDirectoryMode"] == ["0700"]


@pytest.mark.parametrize("unit", ["brandpulse.service", "postgres/brandpulse-worker@.service"])
def test_the_systemd_units_keep_the_outbox_in_their_state_directory(unit):
    service = _settings(unit)
    state = Path("/var/lib") / service["StateDirectory"][0]
    env = dict(item.split("=", 1) for line in service["Environment"] for item in line.split())

    # Without SMTP, emails go to the outbox folder: a relative email.outbox_dir would be beside the read-only config.
    assert Path(env["BRANDPULSE_OUTBOX_DIR"]).parent == state == Path(service["WorkingDirectory"][0])
    assert service["StateDirectoryMode"] == ["0700"]


@pytest.mark.parametrize("unit", ["brandpulse.service", "postgres/brandpulse-worker@.service"])
def test_the_systemd_units_keep_the_model_cache_in_a_directory_systemd_makes_writable(unit, monkeypatch):
    from brandpulse.sentiment.accel import cache_dir

    service = _settings(unit)
    env = dict(item.split("=", 1) for line in service["Environment"] for item in line.split())
    writable = {Path("/var/cache") / name for name in service.get("CacheDirectory", [])}
    writable |= {Path("/var/lib") / name for name in service.get("StateDirectory", [])}
    # The service user's home (~/.cache) is hidden by ProtectHome=true or is not there for a system user.
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("BRANDPULSE_CACHE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert any(cache_dir() == folder or folder in cache_dir().parents for folder in writable), cache_dir()


@pytest.mark.parametrize("unit", ["brandpulse.service", "postgres/brandpulse-worker@.service"])
def test_the_systemd_units_do_not_restart_a_service_whose_config_is_broken(unit, tmp_path, invoke):
    broken = tmp_path / "config.yaml"
    broken.write_text("brands: [{name: Acme, keywords: [acme]}]\nalerts: {spike: {min_cuont: 3}}\n")
    service = _settings(unit)

    result = invoke("--config", broken, "run", "--once")

    # Was: restarted every 10 s (the worker's every 100 ms) forever, failing the same way each time.
    assert result.exit_code == 2 and service["Restart"] == ["on-failure"]
    assert str(result.exit_code) in service["RestartPreventExitStatus"][0].split()
    assert service["RestartSec"] == ["10"]
