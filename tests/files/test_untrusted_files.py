"""Untrusted model files never harm: crafted and mutated files get one line (exit 2) or a breakdown.

Each crafted file reproduces a finding of issue 19: a B-tree cycle that made h5py
segfault, a zip member compressed with method 99, a dataspace message of one
byte, a checkpoint node id stored as bytes, a ``keras_metadata.pb`` of millions
of empty fields, a layer name of a million characters. The fuzz test runs a few
hundred seeded mutations of real files through the command in child processes
limited in memory and time (``tests/fuzzing.py``).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import fuzzing
import pytest
from saved_models import Legacy, Saved, legacy, member_bytes, rewrite, saved

from cnnexplain import ModelFileError, explain
from cnnexplain._files import limits as _limits
from cnnexplain._files import read_model_file
from cnnexplain._files.inflate import Inflated, InflateLimitError

__all__ = ["legacy", "saved"]  # the fixtures, imported for pytest

ROOT = Path(__file__).resolve().parents[2]


def _command(path: Path) -> subprocess.CompletedProcess[str]:
    """``python -m cnnexplain PATH`` in a child process, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cnnexplain", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _refused(path: Path, reason: str) -> None:
    """The command exits 2 with one line naming ``reason``; the API raises the same sentence."""
    done = _command(path)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr[-2000:]
    assert len(done.stderr.splitlines()) == 1, done.stderr[-2000:]
    assert reason in done.stderr
    with pytest.raises(ModelFileError, match=re.escape(reason)):
        explain(path)


def _btree_cycle(weights: bytes) -> bytes:
    """The weights with the root group's B-tree node made an inner node pointing to itself."""
    data = bytearray(weights)
    at = data.find(b"TREE")
    data[at + 5] = 1  # level 1: its children are B-tree nodes
    struct.pack_into("<Q", data, at + 24 + 8, at)  # its first child: itself
    return bytes(data)


def test_a_btree_node_pointing_to_itself_is_refused_not_a_segfault(
    saved: Saved, tmp_path: Path
) -> None:
    """Issue 19: the own reader refused the cycle, then h5py read the file and segfaulted."""
    _, path = saved("seed")
    crafted = rewrite(
        path,
        tmp_path / "cycle.keras",
        weights=_btree_cycle(member_bytes(path, "model.weights.h5")),
    )
    done = _command(crafted)
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stderr == (
        f"cnnexplain: error: Cannot read '{crafted}': model.weights.h5 is corrupted (B-tree "
        f"node {member_bytes(path, 'model.weights.h5').find(b'TREE')} is reached twice (a "
        "cycle)).\n"
    )


def test_no_native_parser_reads_a_file(saved: Saved) -> None:
    """h5py is never imported to read a file, whatever its layout."""
    _, path = saved("nested")
    code = (
        "import sys; from cnnexplain import explain; "
        f"explain({str(path)!r}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('h5py', 'google', "
        "'tensorflow', 'keras')))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"


def _with_method(archive: bytes, member: str, method: int) -> bytes:
    """The archive with ``member``'s compression method set to ``method`` in both headers."""
    data = bytearray(archive)
    name = member.encode()
    for signature, field, name_at, start in (
        (b"PK\x03\x04", 8, 26, 30),
        (b"PK\x01\x02", 10, 28, 46),
    ):
        at = data.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", data, at + name_at)
            if data[at + start : at + start + length] == name:
                struct.pack_into("<H", data, at + field, method)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_a_member_compressed_with_an_unknown_method_is_refused(
    saved: Saved, tmp_path: Path
) -> None:
    """Issue 19: method 99 (AES) raised NotImplementedError from zipfile."""
    _, path = saved("seed")
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            out.writestr(name, source.read(name))
    crafted = tmp_path / "method99.keras"
    crafted.write_bytes(_with_method(buffer.getvalue(), "model.weights.h5", 99))
    _refused(
        crafted,
        "model.weights.h5 cannot be extracted (it is compressed with zip method 99; Keras "
        "stores or deflates members).",
    )


def _h5_with_short_dataspace(path: Path) -> None:
    """An HDF5 model file whose dataset's dataspace message is 1 byte (then a null message)."""
    import h5py

    config = {"class_name": "Sequential", "config": {"name": "m", "layers": []}}
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.create_dataset("model_weights/dense/kernel:0", shape=(3, 4), dtype="float32")
    data = bytearray(path.read_bytes())
    # A version 1 header message: type 1 (dataspace), size, flags; its body: version 1, rank 2.
    found = list(re.finditer(rb"\x01\x00(..)\x00\x00\x00\x00\x01\x02", data, re.DOTALL))
    dims = struct.pack("<QQ", 3, 4)
    (match,) = [m for m in found if data[m.end() + 6 : m.end() + 22] == dims]
    (size,) = struct.unpack("<H", match.group(1))
    struct.pack_into("<H", data, match.start() + 2, 1)
    struct.pack_into("<HHB3x", data, match.start() + 9, 0, size - 1 - 8, 0)  # a null message
    path.write_bytes(bytes(data))


def test_an_h5_dataspace_message_of_one_byte_is_refused(tmp_path: Path) -> None:
    """Issue 19: the HDF5 reader indexed past a 1-byte dataspace message (IndexError)."""
    crafted = tmp_path / "short.h5"
    _h5_with_short_dataspace(crafted)
    _refused(
        crafted,
        "the HDF5 file is corrupted (a dataspace message has 1 bytes, fewer than its header).",
    )


def test_a_checkpoint_node_id_stored_as_bytes_is_read_as_unreadable_variables(
    legacy: Legacy, tmp_path: Path
) -> None:
    """Issue 19: ``int(b'')`` raised ValueError; the variables are unreadable, not the model."""
    folder, oracle = legacy
    crafted = shutil.copytree(folder / "seed_savedmodel", tmp_path / "seed_savedmodel")
    shard = crafted / "variables" / "variables.data-00000-of-00001"
    data = bytearray(shard.read_bytes())
    local = b"layer_with_weights-0"
    at = data.find(b"\x12" + bytes([len(local)]) + local)  # an ObjectReference's local_name
    assert data[at - 2] == 0x08
    data[at - 2 : at] = b"\x0a\x00"  # node_id as an empty length-delimited field
    shard.write_bytes(bytes(data))
    read = read_model_file(crafted)
    assert read.weights is None
    assert read.no_weights == (
        "its variables could not be read (a child in the checkpoint's object graph has a node "
        "id stored as 0 bytes, not an integer)"
    )
    done = _command(crafted)
    assert done.returncode == 0, done.stderr[-2000:]
    assert explain(crafted).total == oracle["seed"]["total"]  # explained, not checked


def test_a_metadata_of_millions_of_empty_fields_is_refused_quickly(tmp_path: Path) -> None:
    """Issue 19: 20 MB of empty fields in keras_metadata.pb took 27 s of CPU."""
    folder = tmp_path / "empty_fields"
    folder.mkdir()
    (folder / "keras_metadata.pb").write_bytes(b"\x0a\x00" * 10_000_000)
    started = time.process_time()
    with pytest.raises(ModelFileError) as caught:
        read_model_file(folder)
    assert time.process_time() - started < 10
    assert str(caught.value) == (
        f"Cannot read '{folder}': keras_metadata.pb holds more than "
        f"{_limits.PROTOBUF_FIELDS:,} protobuf fields, far more than Keras writes for any "
        "model (crafted or corrupted)."
    )


def test_a_layer_name_of_a_million_characters_is_refused(tmp_path: Path) -> None:
    name = "x" * 1_000_000
    layer = {"class_name": "Dense", "config": {"name": name, "units": 2}}
    config = {"class_name": "Sequential", "config": {"name": "m", "layers": [layer]}}
    crafted = tmp_path / "long.json"
    crafted.write_text(json.dumps(config), encoding="utf-8")
    _refused(
        crafted,
        "in the file, model 'm', layer 0 (Dense): 'name' has 1,000,000 characters, more than "
        f"the {_limits.NAME_CHARACTERS:,} cnnexplain reads in a name. Received: 'xxxxxxxxxxxx"
        "xxxxxxxxxxxx'...",
    )


def test_an_archive_of_more_members_than_the_limit_is_refused(
    saved: Saved, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit is read where it is enforced: lowered here, not reached with 100,000 members."""
    _, path = saved("seed")
    with zipfile.ZipFile(path) as source:
        count = len(source.namelist())
    monkeypatch.setattr(_limits, "ZIP_MEMBERS", count - 1)
    with pytest.raises(ModelFileError) as caught:
        read_model_file(path)
    assert str(caught.value) == (
        f"Cannot read '{path}': the archive has {count} members, more than the {count - 1} "
        "cnnexplain reads (a .keras file has three)."
    )


def test_the_limits_table_states_the_values_in_force() -> None:
    """The docstring's table, read by the docs, gives each limit's value as the code has it."""
    documented = dict(
        re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", _limits.__doc__ or "", re.MULTILINE)
    )
    rows = _limits.table()
    assert [name for name, _, _ in rows] == list(documented)
    assert {name: value for name, value, _ in rows} == documented
    assert set(documented) == set(_limits.__all__) - {"table"}


# --- deflated weights --------------------------------------------------------------------------


def _deflated(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            out.writestr(name, source.read(name))
    return dest


def test_deflated_weights_read_as_stored_ones_inflating_once(
    saved: Saved, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: zipfile re-inflated the member from its start at each backward seek (33 s)."""
    _, path = saved("ResNet50")
    deflated = _deflated(path, tmp_path / "deflated.keras")
    made: list[Inflated] = []

    class Recorded(Inflated):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr("cnnexplain._files.keras_zip.Inflated", Recorded)
    assert read_model_file(deflated).weights == read_model_file(path).weights
    (member,) = made
    assert member.inflated <= len(member_bytes(path, "model.weights.h5"))  # once, at most


def test_inflated_reads_agree_with_the_data_and_stop_at_the_limit() -> None:
    data = os.urandom(3 * 2**20) + bytes(2 * 2**20)
    deflate = zlib.compressobj(wbits=-15)
    raw = deflate.compress(data) + deflate.flush()
    member = Inflated(io.BytesIO(raw), 0, len(raw))
    for offset, length in [(4 * 2**20, 100), (10, 2**20 + 5), (2**20 - 3, 6), (5 * 2**20 - 2, 9)]:
        assert member.read(offset, length) == data[offset : offset + length]
    assert member.inflated < 3 * len(data)
    limited = Inflated(io.BytesIO(raw), 0, len(raw), limit=2**20)
    with pytest.raises(InflateLimitError, match="inflating it takes more than"):
        limited.read(4 * 2**20, 1)


# --- fuzzing -----------------------------------------------------------------------------------

PER_FORMAT = 100


def test_mutated_files_are_explained_or_refused_in_one_line(
    saved: Saved, legacy: Legacy, tmp_path: Path
) -> None:
    """Seeded mutations of real files: exit 0, or exit 2 with one line; never worse."""
    folder, _ = legacy
    bases = {
        "keras": [saved("seed")[1], saved("nested")[1]],
        "h5": [folder / "seed.h5", folder / "nested.h5"],
        "savedmodel": [folder / "seed_savedmodel", folder / "nested_savedmodel"],
    }
    out = tmp_path / "mutants"
    out.mkdir()
    kinds = {p: k for k, p in fuzzing.mutants(bases, PER_FORMAT, 19, out)}
    results = fuzzing.run(list(kinds))
    counts = fuzzing.tally(kinds, results)
    lines: list[str] = []
    fuzzing.report(counts, lines.append)
    assert fuzzing.worst(results) == [], "\n".join(lines)
    assert all(sum(counts[k].values()) == PER_FORMAT for k in bases)
    assert all(counts[k]["ok"] and counts[k]["refused"] for k in bases), "\n".join(lines)


_FAKE_CLI = """
import os, signal, sys

def main(argv):
    name = os.path.basename(argv[0])
    if name == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "memory":
        return len(bytearray(2**31))
    if name == "traceback":
        raise IndexError("index out of range")
    if name == "two_lines":
        print("one\\ntwo", file=sys.stderr)
        return 2
    if name == "refused":
        print("cnnexplain: error: no.", file=sys.stderr)
        return 2
    return 0
"""

_FAKE_PACKAGE = """
class CnnexplainError(Exception):
    pass

def explain(path):
    import os
    if os.path.basename(path) in ("refused", "two_lines"):
        raise CnnexplainError("no.")
"""


def test_the_fuzzing_driver_tells_each_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a stand-in package, the driver tells a segfault, a traceback, memory from a refusal."""
    fake = tmp_path / "code" / "cnnexplain"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(_FAKE_PACKAGE, encoding="utf-8")
    (fake / "_cli.py").write_text(_FAKE_CLI, encoding="utf-8")
    monkeypatch.setattr(fuzzing, "CODE", tmp_path / "code")
    names = ["ok", "segfault", "refused", "traceback", "two_lines", "memory", "ok"]
    paths = [tmp_path / name for name in names]
    results = fuzzing.run(paths, batch=len(paths))
    assert [results[p] for p in paths] == [
        "ok",
        "crash",
        "refused",
        "traceback",
        "traceback",
        "memory",
        "ok",
    ]
