"""The members of a zip archive, read without `zipfile` when the archive is plain.

Keras writes a ``.keras`` file with `zipfile`: no encryption, each member stored
or deflated. Importing `zipfile` costs more than reading a model's config (it
imports pathlib, shutil, bz2, lzma, threading...), so `Archive` reads the
central directory itself and hands anything else (encryption, another
compression, bytes before the archive, a damaged directory, a CRC that does not
match) to `zipfile`, whose checks and messages then apply unchanged.

Examples:
    >>> import io, zipfile
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("config.json", '{"class_name": "Sequential"}')
    >>> archive = Archive(buffer)
    >>> archive.names, archive.read("config.json", 100)
    (['config.json'], b'{"class_name": "Sequential"}')
    >>> archive.uses_zipfile
    False
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

from cnnexplain._files import limits as _limits

TYPE_CHECKING = False
if TYPE_CHECKING:
    import zipfile
    from typing import IO

__all__ = ["Archive", "DamagedZipError", "MemberReadError", "RawMember", "TooManyMembersError"]

_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_LOCATOR64 = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_END_SIZE = 22
_MAX_COMMENT = 0xFFFF
_STORED, _DEFLATED = 0, 8
_MASK16, _MASK32 = 0xFFFF, 0xFFFFFFFF
_ZIP64_EXTRA = 0x0001
_REFUSED_FLAGS = 0x61  # encrypted, compressed patch data, strong encryption
_UTF8 = 0x800
_MAX_VERSION = 63  # zipfile's MAX_EXTRACT_VERSION


class DamagedZipError(ValueError):
    """The archive is truncated or corrupted (zipfile's message)."""


class MemberReadError(ValueError):
    """A member cannot be extracted: encrypted, or compressed in a way Python lacks."""


class TooManyMembersError(DamagedZipError):
    """The archive has more members than `cnnexplain._files.limits.ZIP_MEMBERS`."""


class RawMember(NamedTuple):
    """Where a member's bytes lie in the file, and how they are compressed."""

    start: int
    method: int
    compressed: int
    size: int


class _Unusual(Exception):  # noqa: N818 - reads as "the archive is unusual"
    """Something this reader leaves to zipfile."""


class _Member:
    __slots__ = ("compressed", "crc", "method", "name", "offset", "size")

    def __init__(  # noqa: PLR0917 - the fields of a central directory entry
        self, name: str, method: int, crc: int, compressed: int, size: int, offset: int
    ) -> None:
        self.name = name
        self.method = method
        self.crc = crc
        self.compressed = compressed
        self.size = size
        self.offset = offset


def _unpack(fmt: str, data: bytes, offset: int = 0) -> tuple[int, ...]:
    try:
        return struct.unpack_from(fmt, data, offset)
    except struct.error:
        raise _Unusual from None


def _name(raw: bytes, flags: int) -> str:
    try:
        return raw.decode("utf-8" if flags & _UTF8 else "cp437")
    except UnicodeDecodeError:
        raise _Unusual from None


def _zip64(extra: bytes, fields: list[int]) -> list[int]:
    """Replace the 32-bit fields saturated at 0xFFFFFFFF by their zip64 extra values."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = _unpack("<HH", extra, pos)
        if pos + 4 + length > len(extra):
            raise _Unusual
        if kind == _ZIP64_EXTRA:
            values = extra[pos + 4 : pos + 4 + length]
            at = 0
            for i, value in enumerate(fields):
                if value == _MASK32:
                    (fields[i],) = _unpack("<Q", values, at)
                    at += 8
            return fields
        pos += 4 + length
    if _MASK32 in fields:
        raise _Unusual
    return fields


def _central_directory(stream: IO[bytes]) -> tuple[int, int, int]:
    """The number of entries, size and offset of a plain archive's central directory."""
    size = stream.seek(0, 2)
    tail_start = max(0, size - _END_SIZE - _MAX_COMMENT)
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_SIZE:
        raise _Unusual
    disk, cd_disk, _, entries, cd_size, cd_offset, comment = _unpack("<4x4H2LH", tail, at)
    if disk or cd_disk or at + _END_SIZE + comment != len(tail):
        raise _Unusual  # a split archive, or a comment that does not end the file
    end = tail_start + at
    locator = tail[at - 20 : at] if at >= 20 else b""  # noqa: PLR2004 - locator size
    if locator[:4] == _LOCATOR64:  # zipfile writes one past 2 GiB, or 65535 members
        disk, end, disks = _unpack("<4xLQL", locator)
        if disk or disks > 1 or end != tail_start + at - 20 - 56:
            raise _Unusual  # split, or a record zipfile would look for elsewhere
        stream.seek(end)
        record = stream.read(56)
        if record[:4] != _END64:
            raise _Unusual
        _, entries, cd_size, cd_offset = _unpack("<4Q", record, 24)
    elif entries == _MASK16 or _MASK32 in (cd_size, cd_offset):
        raise _Unusual
    if cd_offset + cd_size != end:
        raise _Unusual  # bytes before the archive (zipfile shifts every offset)
    return entries, cd_size, cd_offset


def _check_count(members: int) -> None:
    if members > _limits.ZIP_MEMBERS:
        raise TooManyMembersError(
            f"the archive has {members:,} members, more than the {_limits.ZIP_MEMBERS:,} "
            "cnnexplain reads (a .keras file has three)"
        )


def _directory(stream: IO[bytes]) -> dict[str, _Member]:
    """The members of a plain archive, by name, from its central directory."""
    entries, cd_size, cd_offset = _central_directory(stream)
    _check_count(entries)
    stream.seek(cd_offset)
    data = stream.read(cd_size)
    members: dict[str, _Member] = {}
    pos = 0
    for _ in range(entries):
        if data[pos : pos + 4] != _CENTRAL:
            raise _Unusual
        version, flags, method, crc, compressed, size = _unpack("<6xBxHH4xLLL", data, pos)
        name_length, extra_length, comment_length = _unpack("<HHH", data, pos + 28)
        (offset,) = _unpack("<L", data, pos + 42)
        name_bytes = data[pos + 46 : pos + 46 + name_length]
        extra = data[pos + 46 + name_length : pos + 46 + name_length + extra_length]
        pos += 46 + name_length + extra_length + comment_length
        if flags & _REFUSED_FLAGS or method not in (_STORED, _DEFLATED) or version > _MAX_VERSION:
            raise _Unusual
        size, compressed, offset = _zip64(extra, [size, compressed, offset])
        name = _name(name_bytes, flags)
        if "\0" in name:
            raise _Unusual  # zipfile cuts the name there
        if name in members:
            raise _Unusual  # zipfile keeps the last of two members of one name
        members[name] = _Member(name, method, crc, compressed, size, offset)
    if pos != len(data):
        raise _Unusual
    return members


class Archive:
    """The members of a zip archive in ``stream``, read directly or, if need be, by zipfile.

    Raises:
        DamagedZipError: (from the constructor and `read`) what zipfile finds wrong.
        TooManyMembersError: (from the constructor) more members than the limit.
        MemberReadError: (from `read`) a member zipfile cannot extract.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._zipfile: zipfile.ZipFile | None = None
        self._members: dict[str, _Member] = {}
        try:
            self._members = _directory(stream)
        except _Unusual:
            self._use_zipfile()

    @property
    def uses_zipfile(self) -> bool:
        """Whether the archive was unusual enough to be read by zipfile."""
        return self._zipfile is not None

    def _use_zipfile(self) -> zipfile.ZipFile:
        if self._zipfile is None:
            import zipfile  # noqa: PLC0415 - only for archives Keras does not write

            self._stream.seek(0)
            try:
                self._zipfile = zipfile.ZipFile(self._stream)
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as err:
                raise DamagedZipError(str(err)) from err  # NotImplementedError: a bad version
            self._members = {}
            _check_count(len(self._zipfile.filelist))
        return self._zipfile

    @property
    def names(self) -> list[str]:
        """The members' names, in the archive's order."""
        if self._zipfile is not None:
            return self._zipfile.namelist()
        return list(self._members)

    def size(self, name: str) -> int:
        """The uncompressed size of member ``name``."""
        if self._zipfile is not None:
            return self._zipfile.getinfo(name).file_size
        return self._members[name].size

    def _start(self, member: _Member) -> int:
        """Where a member's bytes start, after its local header (which must agree)."""
        self._stream.seek(member.offset)
        header = self._stream.read(30)
        if len(header) != 30 or header[:4] != _LOCAL:  # noqa: PLR2004 - local header size
            raise _Unusual
        flags, name_length, extra_length = _unpack("<6xH18xHH", header)
        if _name(self._stream.read(name_length), flags) != member.name:
            raise _Unusual
        return member.offset + 30 + name_length + extra_length

    def stored_start(self, name: str) -> int | None:
        """Where the bytes of an uncompressed member start in the file; None if compressed."""
        if self._zipfile is not None:
            import zipfile  # noqa: PLC0415 - already imported by _use_zipfile

            info = self._zipfile.getinfo(name)
            if info.compress_type != zipfile.ZIP_STORED:
                return None
            self._stream.seek(info.header_offset)
            header = self._stream.read(30)
            if len(header) != 30 or header[:4] != _LOCAL:  # noqa: PLR2004
                return None
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            return int(info.header_offset) + 30 + int(name_length) + int(extra_length)
        member = self._members[name]
        if member.method != _STORED:
            return None
        try:
            return self._start(member)
        except _Unusual:
            self._use_zipfile()
            return self.stored_start(name)

    def raw(self, name: str) -> RawMember:
        """Where member ``name``'s bytes (compressed or not) lie in the file.

        Raises:
            DamagedZipError: if its local header disagrees with the directory.
            MemberReadError: if it is encrypted.
        """
        if self._zipfile is None:
            member = self._members[name]
            try:
                start = self._start(member)
            except _Unusual:
                self._use_zipfile()
            else:
                return RawMember(start, member.method, member.compressed, member.size)
        info = self._use_zipfile().getinfo(name)
        if info.flag_bits & _REFUSED_FLAGS:
            raise MemberReadError(f"{name} is encrypted")
        self._stream.seek(info.header_offset)
        header = self._stream.read(30)
        if len(header) != 30 or header[:4] != _LOCAL:  # noqa: PLR2004 - local header size
            raise DamagedZipError(f"bad magic number for file header of {name}")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = int(info.header_offset) + 30 + int(name_length) + int(extra_length)
        return RawMember(start, info.compress_type, info.compress_size, info.file_size)

    def read(self, name: str, limit: int) -> bytes:
        """Member ``name``'s bytes, at most ``limit + 1`` of them (more means: too large)."""
        if self._zipfile is None:
            try:
                return self._read(self._members[name], limit)
            except (_Unusual, zlib.error):
                self._use_zipfile()
        import zipfile  # noqa: PLC0415 - imported by _use_zipfile already

        archive = self._use_zipfile()
        try:
            with archive.open(name) as stream:
                return stream.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
            raise DamagedZipError(str(err)) from err
        except (NotImplementedError, RuntimeError) as err:  # unknown compression, encrypted
            raise MemberReadError(str(err)) from err

    def _read(self, member: _Member, limit: int) -> bytes:
        start = self._start(member)
        self._stream.seek(start)
        if member.method == _STORED:
            want = min(member.size, limit + 1)
            data = self._stream.read(want)
            if member.compressed != member.size or len(data) != want:
                raise _Unusual
        else:
            raw = self._stream.read(member.compressed)
            if len(raw) != member.compressed:
                raise _Unusual
            inflate = zlib.decompressobj(-15)
            data = inflate.decompress(raw, limit + 1)
            if len(data) <= limit:
                data += inflate.flush()
        if len(data) > limit:
            return data[: limit + 1]
        if len(data) != member.size or zlib.crc32(data) != member.crc:
            raise _Unusual  # zipfile says what is wrong
        return data

    def close(self) -> None:
        """Close zipfile's view, if it was needed (the stream is the caller's)."""
        if self._zipfile is not None:
            self._zipfile.close()
