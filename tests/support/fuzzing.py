"""Mutated model files, and a driver that explains them in a child process with bounds.

Used by ``tests/test_fuzz_files.py`` (a few hundred cases) and
``benchmarks/fuzz_files.py`` (thousands). `mutants` writes seeded mutations of
base files: ``.keras`` archives (a member's bytes, or the zip's own), ``.h5``
files and SavedModel directories (one of their files), each mutation aimed half
of the time at bytes the readers actually read (HDF5 metadata, protobufs), since
flipping a weight's value tests nothing. `run` explains them in child processes
(``python tests/fuzzing.py FILE...``) under an address-space limit, each file
as ``python -m cnnexplain FILE`` does and through ``cnnexplain.explain(FILE)``,
and classifies each file's outcome:

- ``ok``: exit 0 (and `explain` returned);
- ``refused``: exit 2 with exactly one line on stderr (and `explain` raised a
  `CnnexplainError`);
- ``traceback``: any other exception, or a refusal of more than one line;
- ``crash``: the process died (a signal: a segfault in native code);
- ``timeout``: over the time limit; ``memory``: over the memory limit.

A batch that dies is resumed after the file it died on, which is then run alone
to tell a crash from a timeout or a memory error.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

OUTCOMES = ("ok", "refused", "traceback", "crash", "timeout", "memory")
MEMORY_LIMIT = 2**30
"""The address space of a child process: 1 GiB."""
TIME_LIMIT = 10
"""Seconds a file may take, command and API together."""

CODE = Path(__file__).resolve().parents[2]
"""The checkout whose cnnexplain the children run (``PYTHONPATH``)."""
_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF)
_WIDE = (2**16 - 1, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1)


# --- mutations ---------------------------------------------------------------------------------


def regions_read(path: Path, member: str | None = None) -> list[tuple[int, int]]:
    """The byte ranges of an HDF5 file (or of a ``.keras`` member) its reader reads."""
    from cnnexplain._files.hdf5 import read_tree

    if member is None:
        data = path.read_bytes()
    else:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(member)
    ranges: list[tuple[int, int]] = []

    def read(at: int, length: int) -> bytes:
        ranges.append((at, length))
        return data[at : at + length]

    read_tree(read, len(data))
    return ranges


def _address(out: bytearray, rng: random.Random, regions: list[tuple[int, int]]) -> None:
    """An 8-byte field of a structure read made the address of another (or its own): cycles."""
    start, length = rng.choice(regions)
    at = start + 8 * rng.randrange(max(length // 8, 1))
    address = rng.choice(regions)[0] - rng.choice((0, 0, 8, 24))
    out[at : at + 8] = max(address, 0).to_bytes(8, "little")


def _wide(out: bytearray, at: int, rng: random.Random) -> None:
    size = rng.choice((2, 4, 8))
    value = rng.choice(_WIDE) & (2 ** (8 * size) - 1)
    out[at : at + size] = value.to_bytes(size, "little")


def _flip(out: bytearray, at: int, rng: random.Random) -> None:
    out[at] ^= 1 << rng.randrange(8)


def _byte(out: bytearray, at: int, rng: random.Random) -> None:
    out[at] = rng.choice(_INTERESTING)


def _run(out: bytearray, at: int, rng: random.Random) -> None:
    out[at : at + 8] = rng.randbytes(rng.randint(1, 8))


def _truncate(out: bytearray, at: int, rng: random.Random) -> None:  # noqa: ARG001
    del out[at:]


def _repeat(out: bytearray, at: int, rng: random.Random) -> None:
    out[at:at] = out[at : at + rng.randint(1, 64)]


def _delete(out: bytearray, at: int, rng: random.Random) -> None:
    del out[at : at + rng.randint(1, 16)]


def _wire(out: bytearray, at: int, rng: random.Random) -> None:
    """Another protobuf wire type (or field number, elsewhere)."""
    out[at] = (out[at] & ~7 & 0xFF) | rng.choice((0, 1, 2, 3, 5, 7))


_MUTATIONS = (_flip, _byte, _wide, _run, _truncate, _repeat, _delete, _wire)


def mutate(data: bytes, rng: random.Random, regions: list[tuple[int, int]] | None = None) -> bytes:
    """``data`` with one to four random changes, half of them inside ``regions`` if given.

    Bytes flipped, integers made extreme, runs replaced, the data cut, repeated or
    shortened, protobuf wire types changed and, given the regions a reader reads,
    addresses pointed at the structures there (or at themselves).
    """
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out += rng.randbytes(rng.randint(1, 16))
        elif regions and rng.random() < 0.1:
            _address(out, rng, regions)
        else:
            if regions and rng.random() < 0.5:
                start, length = rng.choice(regions)
                at = min(len(out) - 1, start + rng.randrange(max(length, 1)))
            else:
                at = rng.randrange(len(out))
            rng.choice(_MUTATIONS)(out, at, rng)
    return bytes(out)


def _zip(members: dict[str, bytes], rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, value in members.items():
            archive.writestr(name, value)
    return buffer.getvalue()


def mutate_keras(path: Path, rng: random.Random, regions: list[tuple[int, int]]) -> bytes:
    """A mutation of a ``.keras`` archive: of its weights, its JSON or the zip itself."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    choice = rng.random()
    if choice < 0.6:
        members["model.weights.h5"] = mutate(members["model.weights.h5"], rng, regions)
    elif choice < 0.8:
        name = rng.choice(["config.json", "metadata.json"])
        members[name] = mutate(members[name], rng)
    else:
        return mutate(_zip(members, rng), rng)
    return _zip(members, rng)


def _savedmodel_parts(folder: Path) -> list[tuple[str, list[tuple[int, int]] | None]]:
    """The files of a SavedModel the reader reads, with the object graph's range in the data."""
    data = (folder / "variables" / "variables.data-00000-of-00001").read_bytes()
    first, last = data.find(b"layer_with_weights"), data.rfind(b"layer_with_weights")
    graph = [(max(0, first - 512), last - first + 1024)] if first >= 0 else None
    return [
        ("keras_metadata.pb", None),
        ("variables/variables.index", None),
        ("variables/variables.data-00000-of-00001", graph),
    ]


def mutants(
    bases: dict[str, list[Path]], count: int, seed: int, out: Path
) -> Iterator[tuple[str, Path]]:
    """``count`` mutated files per format (``keras``, ``h5``, ``savedmodel``), written in ``out``.

    Each base is a real file (or SavedModel directory) of that format.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded, to replay a finding
    regions = {
        base: regions_read(base, "model.weights.h5" if kind == "keras" else None)
        for kind, paths in bases.items()
        if kind in ("keras", "h5")
        for base in paths
    }
    parts = {base: _savedmodel_parts(base) for base in bases.get("savedmodel", [])}
    for i in range(count):
        for kind, paths in bases.items():
            base = rng.choice(paths)
            target = out / f"{kind}-{i:05d}{base.suffix}"
            if kind == "keras":
                target.write_bytes(mutate_keras(base, rng, regions[base]))
            elif kind == "h5":
                target.write_bytes(mutate(base.read_bytes(), rng, regions[base]))
            else:
                shutil.copytree(base, target)
                name, where = rng.choice(parts[base])
                part = target / name
                part.write_bytes(mutate(part.read_bytes(), rng, where))
            yield kind, target


# --- the child: explain each file, report its outcome -------------------------------------------


class _TimeLimitError(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:  # noqa: ARG001
    raise _TimeLimitError


def _explain_one(path: str) -> str:
    """The outcome of one file, in this process: the command, then the API."""
    import warnings

    from cnnexplain import CnnexplainError, explain
    from cnnexplain._cli import main

    out, err = io.StringIO(), io.StringIO()
    refusal = ""
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([path])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                explain(path)
            except CnnexplainError as error:
                refusal = str(error) or "(empty)"
    except _TimeLimitError:
        return "timeout"
    except MemoryError:
        return "memory"
    except BaseException:  # noqa: BLE001 - anything else escaping is the finding
        return "traceback"
    lines = err.getvalue().splitlines()
    if status == 0 and not refusal:
        return "ok"
    one_line = len(lines) == 1 and "Traceback" not in lines[0] and "\n" not in refusal
    return "refused" if status == 2 and refusal and one_line else "traceback"


def child(paths: list[str]) -> None:
    """Explain each file, printing ``start <i>`` before and ``<i> <outcome>`` after it."""
    signal.signal(signal.SIGALRM, _alarm)
    for i, path in enumerate(paths):
        sys.stdout.write(f"start {i}\n")
        sys.stdout.flush()
        signal.alarm(TIME_LIMIT)
        outcome = _explain_one(path)
        signal.alarm(0)
        sys.stdout.write(f"{i} {outcome}\n")
        sys.stdout.flush()


# --- the parent --------------------------------------------------------------------------------


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _batch(paths: list[str]) -> tuple[dict[int, str], int | None, int]:
    """Outcomes by index, the index a dead child was on (if any), and its exit status."""
    env = {**os.environ, "PYTHONPATH": str(CODE), "TF_CPP_MIN_LOG_LEVEL": "3"}
    timeout = TIME_LIMIT * len(paths) + 30
    try:
        done = subprocess.run(
            [sys.executable, __file__, *paths],
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=_limit_memory,
            timeout=timeout,
            check=False,
        )
        stdout, status = done.stdout, done.returncode
    except subprocess.TimeoutExpired as err:
        raw = err.stdout or b""
        stdout, status = raw.decode() if isinstance(raw, bytes) else raw, -signal.SIGKILL
    outcomes: dict[int, str] = {}
    current = None
    for line in stdout.splitlines():
        head, _, tail = line.partition(" ")
        if head == "start":
            current = int(tail)
        elif head.isdigit():
            outcomes[int(head)] = tail
            current = None
    return outcomes, current, status


def run(paths: list[Path], batch: int = 100) -> dict[Path, str]:
    """Each file's outcome, the files explained ``batch`` at a time in child processes."""
    results: dict[Path, str] = {}
    pending = [str(p) for p in paths]
    while pending:
        chunk, pending = pending[:batch], pending[batch:]
        while chunk:
            outcomes, dead, status = _batch(chunk)
            for i, outcome in outcomes.items():
                results[Path(chunk[i])] = outcome
            if dead is None:
                if len(outcomes) < len(chunk):  # died between files: count it on the next
                    dead = len(outcomes)
                else:
                    break
            alone, _, alone_status = _batch([chunk[dead]]) if len(chunk) > 1 else ({}, 0, status)
            results[Path(chunk[dead])] = alone.get(0) or _death(alone_status)
            chunk = chunk[dead + 1 :]
    return results


def _death(status: int) -> str:
    if status == -signal.SIGKILL:
        return "timeout"
    if status < 0:
        return "crash"
    return "memory"  # a MemoryError the child could not even report


def tally(kinds: dict[Path, str], results: dict[Path, str]) -> dict[str, Counter[str]]:
    """Outcome counts per format."""
    counts: dict[str, Counter[str]] = {}
    for path, outcome in results.items():
        counts.setdefault(kinds[path], Counter())[outcome] += 1
    return counts


def report(counts: dict[str, Counter[str]], write: Callable[[str], object] = print) -> None:
    """A table of outcome counts, one row per format."""
    write(f"{'format':<12}" + "".join(f"{o:>11}" for o in OUTCOMES))
    for kind, counter in counts.items():
        write(f"{kind:<12}" + "".join(f"{counter[o]:>11}" for o in OUTCOMES))


def worst(results: dict[Path, str]) -> list[tuple[Path, str]]:
    """The files whose outcome is neither ok nor refused."""
    return [(p, o) for p, o in results.items() if o not in ("ok", "refused")]


if __name__ == "__main__":
    child(sys.argv[1:])
