import subprocess
import sys
import zipfile
from pathlib import Path

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
