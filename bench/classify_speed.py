"""Benchmark: `brandpulse classify` end to end (process start to last line) against plain MiniLM-L6 fp32 PyTorch.

Run by hand from the repository root:
    python bench/classify_speed.py FILE [--texts 3000] [--rounds 3] [--previous PATH/TO/OLD/brandpulse]
FILE has one text per line (repeated to reach --texts if shorter). Each round runs the yardstick
(`../shared/bench/minilm_ref.py`), then brandpulse (then the previous brandpulse if given), so every ratio compares
runs made within seconds of each other; the median ratio is printed. The ONNX export is made before the rounds, and
this checkout's modules are byte-compiled first, as pip compiles an installed package: where PYTHONDONTWRITEBYTECODE
is set (as on some machines here), an editable checkout would otherwise compile its changed modules again in every
round, about 30 ms that no installed copy pays (a previous version installed with pip has its bytecode).
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

REPO = Path(__file__).resolve().parent.parent


def _texts(source: Path, n: int, out: Path) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    out.write_text("\n".join((lines * (n // max(1, len(lines)) + 1))[:n]) + "\n", encoding="utf-8")
    return out


def _classify(executable: str, texts: Path, folder: Path) -> float:
    config = folder / "config.yaml"
    config.write_text("brands:\n  - name: bench\n    keywords: [bench]\n", encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([executable, "--config", str(config), "--db", str(folder / "bench.db"), "classify", str(texts)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _reference(script: Path, texts: Path, n: int) -> float:
    out = subprocess.run([sys.executable, str(script), str(texts), str(n)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared/bench/minilm_ref.py")
    parser.add_argument("--previous", help="Another brandpulse executable (the previous version) to time alike.")
    args = parser.parse_args()
    require(parser, args.file, args.reference)

    current = str(Path(sys.executable).with_name("brandpulse"))
    for package in ("brandpulse", "collectors", "sentiment", "store", "alerts"):
        compileall.compile_dir(REPO / package, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = _texts(args.file, 10, folder / "warm.txt")
        for executable in filter(None, [current, args.previous]):
            _classify(executable, warm, folder)  # the one-time export and calibration, untimed
        texts = _texts(args.file, args.texts, folder / "texts.txt")
        ratios: dict[str, list[float]] = {"now": [], "previous": []}
        for round_ in range(1, args.rounds + 1):
            reference = _reference(args.reference, texts, args.texts)
            line = f"round {round_}: MiniLM-L6 fp32 {reference:.0f} texts/s"
            for name, executable in (("now", current), ("previous", args.previous)):
                if executable:
                    rate = args.texts / _classify(executable, texts, folder)
                    ratios[name].append(rate / reference)
                    line += f"; brandpulse {name} {rate:.0f} texts/s (x{rate / reference:.2f})"
            print(line, flush=True)
        for name, values in ratios.items():
            if values:
                print(f"median ratio, {name}: x{statistics.median(values):.2f} over {len(values)} rounds")


if __name__ == "__main__":
    main()
