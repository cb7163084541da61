"""Deflated weights against stored ones: the time of ``cnnexplain`` on each, and their ratio.

Usage::

    python benchmarks/bench_deflated.py [--repeat 5]

Saves ``keras.applications.ResNet50(weights=None)`` once into a temporary folder
(Keras stores ``model.weights.h5`` uncompressed), re-zips it with every member
deflated, and times the command (``python -m cnnexplain FILE``, a new process
each time, as a user runs it) on both, best of ``--repeat``, and inflating the
member alone. Only the weights' headers are read, but the deflate format cannot
skip the weights between two headers, so the deflated file costs the stored one
plus one pass of inflating the member, no more (before issue 19, zipfile
re-inflated the member from its start at every backward seek: 33 s against
0.3 s). That pass is the floor: how it compares with the stored file depends on
the machine's zlib, not on cnnexplain.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

from _timing import best_of

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _command(path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    subprocess.run(
        [sys.executable, "-m", "cnnexplain", str(path)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    """Print the time on the stored and the deflated file, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import keras  # noqa: PLC0415 - after TF_CPP_MIN_LOG_LEVEL is set

    with tempfile.TemporaryDirectory() as tmp:
        stored = Path(tmp, "resnet50.keras")
        keras.applications.ResNet50(weights=None).save(stored)
        deflated = Path(tmp, "resnet50_deflated.keras")
        with (
            zipfile.ZipFile(stored) as source,
            zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            for name in source.namelist():
                out.writestr(name, source.read(name))
        times: dict[str, float] = {}
        for label, path in (("stored", stored), ("deflated", deflated)):
            times[label] = best_of(functools.partial(_command, path), args.repeat)
            size = path.stat().st_size / 2**20
            print(f"{label:<9} {size:6.1f} MiB  {times[label]:.2f} s")
        print(f"ratio deflated/stored: {times['deflated'] / times['stored']:.1f}")
        with zipfile.ZipFile(deflated) as archive:
            info = archive.getinfo("model.weights.h5")
        with deflated.open("rb") as stream:
            stream.seek(info.header_offset + 30 + len(info.filename) + len(info.extra))
            raw = stream.read(info.compress_size)
        floor = best_of(lambda: zlib.decompressobj(-15).decompress(raw), args.repeat)
        print(
            f"inflating model.weights.h5 alone, in one call: {floor:.2f} s; the deflated "
            f"file costs the stored one plus {(times['deflated'] - times['stored']) / floor:.1f}"
            " times that"
        )


if __name__ == "__main__":
    main()
