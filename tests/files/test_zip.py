"""The zip reader agrees with zipfile: same members and bytes, or zipfile's own error."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnexplain._files.zip_archive import Archive, DamagedZipError, MemberReadError

LIMIT = 1 << 20


def _archive(members: list[tuple[str, bytes, int]], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
        archive.comment = comment
    return buffer.getvalue()


def _by_zipfile(data: bytes) -> dict[str, bytes] | type[Exception]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return DamagedZipError
    found = {}
    try:
        for name in archive.namelist():
            with archive.open(name) as stream:
                found[name] = stream.read(LIMIT + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        return DamagedZipError
    except (NotImplementedError, RuntimeError):
        return MemberReadError
    return found


def _by_archive(data: bytes) -> dict[str, bytes] | type[Exception]:
    try:
        archive = Archive(io.BytesIO(data))
        return {name: archive.read(name, LIMIT) for name in archive.names}
    except DamagedZipError:
        return DamagedZipError
    except MemberReadError:
        return MemberReadError


def test_reads_a_keras_like_archive_without_zipfile() -> None:
    config = b'{"class_name": "Functional"}' * 100
    data = _archive(
        [
            ("metadata.json", b'{"keras_version": "3.15.1"}', zipfile.ZIP_STORED),
            ("config.json", config, zipfile.ZIP_DEFLATED),
            ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64), zipfile.ZIP_STORED),
        ]
    )
    archive = Archive(io.BytesIO(data))
    assert archive.names == ["metadata.json", "config.json", "model.weights.h5"]
    assert archive.read("config.json", LIMIT) == config
    assert len(archive.read("config.json", 10)) == 11  # more than the limit: too large
    start = archive.stored_start("model.weights.h5")
    assert start is not None
    assert data[start : start + 8] == b"\x89HDF\r\n\x1a\n"
    assert archive.stored_start("config.json") is None
    assert not archive.uses_zipfile


def test_reads_zip64_records(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile writes zip64 sizes, offsets and end records past these limits.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 64)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    members = [(f"m{i}.json", bytes([i]) * 100, zipfile.ZIP_STORED) for i in range(4)]
    data = _archive(members)
    monkeypatch.undo()
    archive = Archive(io.BytesIO(data))
    assert {n: archive.read(n, LIMIT) for n in archive.names} == {n: d for n, d, _ in members}
    assert not archive.uses_zipfile


def test_hands_unusual_archives_to_zipfile() -> None:
    data = _archive([("config.json", b"{}" * 50, zipfile.ZIP_BZIP2)])
    archive = Archive(io.BytesIO(data))
    assert archive.read("config.json", LIMIT) == b"{}" * 50
    assert archive.uses_zipfile
    prefixed = b"#!/bin/sh\n" + _archive([("config.json", b"{}", zipfile.ZIP_STORED)])
    assert _by_archive(prefixed) == _by_zipfile(prefixed) == {"config.json": b"{}"}


_member = st.tuples(
    st.sampled_from(["config.json", "metadata.json", "model.weights.h5", "é.json"]),
    st.binary(max_size=300),
    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)


@settings(max_examples=150, deadline=None)
@given(
    members=st.lists(_member, min_size=1, max_size=3, unique_by=lambda m: m[0]),
    comment=st.binary(max_size=20),
    cut=st.integers(min_value=0, max_value=10_000),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=3),
)
def test_agrees_with_zipfile_on_damaged_archives(
    members: list[tuple[str, bytes, int]],
    comment: bytes,
    cut: int,
    flips: list[tuple[int, int]],
) -> None:
    data = bytearray(_archive(members, comment))
    for at, xor in flips:
        data[at % len(data)] ^= xor
    damaged = bytes(data[: len(data) - cut % (len(data) + 1)] if cut % 3 == 0 else data)
    assert _by_archive(damaged) == _by_zipfile(damaged)
