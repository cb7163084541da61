"""Random reads in a deflated zip member, inflating only as far as they reach.

The HDF5 reader asks for a few thousand small pieces of ``model.weights.h5``
(object headers, B-tree nodes, heaps) spread over the member, never the weight
values between them. When the member is stored, they are sliced from the file;
when it is deflated, `Inflated` decompresses it once, front to back, in blocks
of 1 MiB. It keeps the blocks last read, up to `cnnexplain._files.limits.INFLATED_CACHE`
(the metadata of a group is often written after its members', so reads jump
back and forth), and the inflater's state at the start of every block, so a read
behind the blocks kept re-inflates one block, not the member from its start (as
`zipfile`'s seek does). Memory stays below that cache plus about 50 KB per block
of the member, and the bytes inflated in all are bounded by
`cnnexplain._files.limits.INFLATED_BYTES`.

Examples:
    >>> import io, zlib
    >>> data = bytes(range(256)) * 40_000
    >>> deflate = zlib.compressobj(wbits=-15)
    >>> raw = deflate.compress(data) + deflate.flush()
    >>> member = Inflated(io.BytesIO(raw), 0, len(raw))
    >>> member.read(5_000_000, 4) == data[5_000_000:5_000_004]
    True
    >>> member.read(3, 2) == data[3:5]
    True
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from typing import IO

from cnnexplain._files import limits as _limits

__all__ = ["InflateLimitError", "Inflated"]

_BLOCK = 2**20
_CHUNK = 2**18
_CACHED = _limits.INFLATED_CACHE // _BLOCK


class InflateLimitError(ValueError):
    """Reading the member would inflate more than `cnnexplain._files.limits.INFLATED_BYTES`."""


class Inflated:
    """The member deflated in ``stream``'s ``compressed`` bytes from ``start``, read at random.

    Raises:
        zlib.error: (from `read`) if the deflated data is corrupted.
        InflateLimitError: (from `read`) if the reads inflate more than the limit in all.
    """

    def __init__(
        self,
        stream: IO[bytes],
        start: int,
        compressed: int,
        limit: int = _limits.INFLATED_BYTES,
    ) -> None:
        self._stream = stream
        self._end = start + compressed
        self._limit = limit
        self.inflated = 0
        """The bytes inflated so far, re-inflated ones included."""
        # Per block: the inflater at its start, where its input resumes, and the input it kept.
        self._starts: list[tuple[zlib._Decompress, int, bytes]] = [
            (zlib.decompressobj(-15), start, b"")
        ]
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._ended = False  # the stream ended before the block after the last start

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer where the member ends)."""
        out = []
        first, last = offset // _BLOCK, (offset + max(length, 1) - 1) // _BLOCK
        for index in range(first, last + 1):
            block = self._block(index)
            if block is None:
                break
            lo = offset - index * _BLOCK if index == first else 0
            out.append(block[lo : offset + length - index * _BLOCK])
            if len(block) < _BLOCK:
                break
        return b"".join(out)

    def _block(self, index: int) -> bytes | None:
        if index in self._blocks:
            self._blocks.move_to_end(index)
            return self._blocks[index]
        while len(self._starts) <= index:  # inflate up to the block, keeping each start
            if self._ended:
                return None
            self._inflate(len(self._starts) - 1)
        return self._inflate(index)

    def _inflate(self, index: int) -> bytes:
        inflater, position, pending = self._starts[index]
        inflater = inflater.copy()
        pieces: list[bytes] = []
        size = 0
        while size < _BLOCK and not inflater.eof:
            if not pending:
                if position >= self._end:
                    break
                self._stream.seek(position)
                pending = self._stream.read(min(_CHUNK, self._end - position))
                if not pending:
                    break
                position += len(pending)
            piece = inflater.decompress(pending, _BLOCK - size)
            pending = inflater.unconsumed_tail
            pieces.append(piece)
            size += len(piece)
            self.inflated += len(piece)
            if self.inflated > self._limit:
                message = f"inflating it takes more than {self._limit // 2**30} GiB"
                raise InflateLimitError(message)
        if index + 1 == len(self._starts):
            if size == _BLOCK:
                self._starts.append((inflater, position, pending))
            else:
                self._ended = True
        block = b"".join(pieces)
        self._blocks[index] = block
        if len(self._blocks) > _CACHED:
            self._blocks.popitem(last=False)
        return block
