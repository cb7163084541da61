r"""The protobuf wire format, read in pure Python and bounded: varints and fields.

One reader for every protobuf cnnexplain meets: a SavedModel's
``keras_metadata.pb`` (`tf_savedmodel`) and a TensorFlow checkpoint's index and
object graph (`tf_bundle`). It decodes only the wire format (field numbers,
varints, length-delimited bytes, fixed 32/64-bit values); each caller knows
its messages' fields. A `Budget` bounds how many fields one file may make it
decode, so a file of millions of empty fields is refused, not parsed.

Examples:
    >>> varint(b"\x96\x01", 0)
    (150, 2)
    >>> list(fields(b"\x08\x96\x01\x12\x02hi"))
    [(1, 150), (2, b'hi')]
    >>> list(fields(b"\x0b"))
    Traceback (most recent call last):
    ...
    cnnexplain._files.protobuf.ProtobufError: wire type 3 at byte 1
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = [
    "Budget",
    "ProtobufError",
    "TooManyFieldsError",
    "TruncatedError",
    "fields",
    "varint",
]

_MAX_VARINT = 10  # bytes: a 64-bit value
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """Where the wire data breaks, as a phrase (``a varint at byte 7 runs past the data``)."""


class TruncatedError(ProtobufError):
    """The data ends inside a varint or a field: the message was cut short."""


class TooManyFieldsError(ProtobufError):
    """A file's protobufs hold more fields than its `Budget` allows."""


class Budget:
    """How many more fields one file's protobufs may make the reader decode."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self) -> None:
        """Count one field; past the limit, raise `ProtobufError`."""
        self.left -= 1
        if self.left < 0:
            raise TooManyFieldsError(f"more than {self.limit:,} protobuf fields")


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    if pos < len(data) and data[pos] < 0x80:  # noqa: PLR2004 - one byte: most of them
        return data[pos], pos + 1
    value = 0
    for i in range(_MAX_VARINT):
        if pos + i >= len(data):
            raise TruncatedError(f"a varint at byte {pos} runs past the data")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:  # noqa: PLR2004 - the continuation bit
            return value, pos + i + 1
    raise ProtobufError(f"a varint at byte {pos} is longer than {_MAX_VARINT} bytes")


def fields(data: bytes, budget: Budget | None = None) -> Iterator[tuple[int, int | bytes]]:
    """Each ``(field number, value)`` of a message: an int (varint) or the bytes."""
    pos = 0
    while pos < len(data):
        if budget is not None:
            budget.spend()
        key, pos = varint(data, pos)
        wire = key & 7
        value: int | bytes
        if wire == _VARINT:
            value, pos = varint(data, pos)
        elif wire in (_LENGTH, _FIXED64, _FIXED32):
            if wire == _LENGTH:
                length, pos = varint(data, pos)
            else:
                length = 8 if wire == _FIXED64 else 4
            if pos + length > len(data):
                raise TruncatedError(f"a field at byte {pos} runs past its message")
            value, pos = data[pos : pos + length], pos + length
        else:
            raise ProtobufError(f"wire type {wire} at byte {pos}")
        yield key >> 3, value
