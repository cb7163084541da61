"""Read a ``.keras`` archive without Keras, bounded: its config and its weights' shapes.

A ``.keras`` file is a zip holding ``metadata.json`` (the Keras version that
saved it), ``config.json`` (the architecture, in the format of
``model.get_config()``) and ``model.weights.h5`` (each layer's weights under
``layers/<snake_case class>/vars/<i>``). `read_archive` reads it into a
`SavedModel`: the config checked (`model_file.model_config`), the weights'
shapes read by `cnnexplain._files.hdf5` from the layout Keras writes (only its
metadata: never a weight's values), a deflated weights member inflated once
(`cnnexplain._files.inflate`).
"""

from __future__ import annotations

import mmap
import os
import zlib
from typing import IO

from cnnexplain._files.hdf5 import Corrupt, Node, Unsupported, read_tree
from cnnexplain._files.inflate import Inflated, InflateLimitError
from cnnexplain._files.model_file import (
    CONFIG_LIMIT,
    SavedModel,
    WeightGroup,
    file_error,
    library_model,
    model_config,
    parse_json,
    too_large,
    version_warning,
)
from cnnexplain._files.zip_archive import (
    Archive,
    DamagedZipError,
    MemberReadError,
    TooManyMembersError,
)

__all__ = ["ZIP_MAGIC", "read_archive"]

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""The first bytes of a zip archive (a local file header, or an empty archive's end)."""
_OPTIMIZER = frozenset({"optimizer"})  # model.weights.h5's optimizer state: never read
_STORED, _DEFLATED = 0, 8  # zip compression methods


def _zip_member(archive: Archive, path: str, member: str) -> bytes:
    try:
        data = archive.read(member, CONFIG_LIMIT)
    except DamagedZipError as err:
        raise file_error(path, f"the archive is truncated or corrupted ({member}: {err}).") from err
    except MemberReadError as err:  # unknown compression, encrypted
        raise file_error(path, f"{member} cannot be extracted ({err}).") from err
    if len(data) > CONFIG_LIMIT:
        raise too_large(path, member)
    return data


def read_archive(name: str, stream: IO[bytes]) -> SavedModel:
    try:
        archive = Archive(stream)
    except TooManyMembersError as err:
        raise file_error(name, f"{err}.") from err
    except DamagedZipError as err:
        raise file_error(name, f"the archive is truncated or corrupted ({err}).") from err
    try:
        members = set(archive.names)
        if "config.json" not in members and any(m.endswith("/data.pkl") for m in members):
            raise file_error(
                name,
                "this is a PyTorch file (torch.save), which holds weights or a pickled "
                "module but no architecture cnnexplain reads without running code; the "
                "command reads Keras files only. Explain the module from Python: "
                "cnnexplain.explain(module, input_size=(1, 1, 28, 28)) with your input's "
                "shape, batch included.",
            )
        if "config.json" not in members:
            raise file_error(
                name,
                "the archive has no config.json; expected a .keras file saved by Keras "
                f"(model.save). Received: members {sorted(members)[:5]!r}.",
            )
        top = parse_json(_zip_member(archive, name, "config.json"), name, "config.json")
        library = library_model(top)
        if library is not None:
            weights, no_weights = _weights(archive, stream, name, members)
            return SavedModel(
                name, *library, _keras_version(archive, name, members), weights, no_weights,
                from_weights=True,
            )  # fmt: skip
        class_name, config = model_config(top, name, "config.json")
        version: object = None
        found: tuple[str, ...] = ()
        if "metadata.json" in members:
            metadata = parse_json(
                _zip_member(archive, name, "metadata.json"), name, "metadata.json"
            )
            version = metadata.get("keras_version") if isinstance(metadata, dict) else None
        if version is None:
            found = (
                (
                    f"'{name}' does not record the Keras version that saved it (no "
                    "keras_version in metadata.json); reading it as Keras 3."
                ),
            )
        weights, no_weights = _weights(archive, stream, name, members)
    finally:
        archive.close()
    return SavedModel(
        name,
        class_name,
        config,
        None if version is None else str(version),
        weights,
        no_weights,
        found or version_warning(name, version),
    )


def _keras_version(archive: Archive, name: str, members: set[str]) -> str | None:
    """The Keras version ``metadata.json`` records, if any."""
    if "metadata.json" not in members:
        return None
    metadata = parse_json(_zip_member(archive, name, "metadata.json"), name, "metadata.json")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return None if version is None else str(version)


def _read_tree(archive: Archive, stream: IO[bytes], member: str) -> Node:
    """The HDF5 tree of a member, read in pure Python: only the metadata's bytes.

    A stored member is read through a memory map of the file; a deflated one is
    inflated only as far as the reads reach (`cnnexplain._files.inflate`).

    Raises:
        Corrupt: if the member is damaged, or compressed in another way.
        Unsupported: if it uses an HDF5 layout Keras does not write.
        DamagedZipError: if the archive is damaged around it.
        MemberReadError: if it is encrypted.
        InflateLimitError: if reading it would inflate too much.
        zlib.error: if its deflated data is corrupted.
    """
    start, method, compressed, size = archive.raw(member)
    if method == _STORED:
        if compressed != size or start + size > os.fstat(stream.fileno()).st_size:
            raise Corrupt(f"it is stored in {compressed} bytes but holds {size}")
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return read_tree(
                lambda at, length: view[start + at : start + at + length], size, _OPTIMIZER
            )
    if method != _DEFLATED:
        raise MemberReadError(
            f"it is compressed with zip method {method}; Keras stores or deflates members"
        )
    inflated = Inflated(stream, start, compressed)
    return read_tree(inflated.read, size, _OPTIMIZER)


def _weights(
    archive: Archive, stream: IO[bytes], path: str, members: set[str]
) -> tuple[WeightGroup | None, str]:
    """The weight groups, read by `cnnexplain._files.hdf5` alone: no native parser sees the bytes.

    A layout Keras does not write (`Unsupported`) leaves the model explained but not
    checked; a damaged member is an error.
    """
    member = "model.weights.h5"
    if member not in members:
        return None, "the archive has no model.weights.h5"
    try:
        return _weight_group(_read_tree(archive, stream, member)), ""
    except Unsupported as err:
        return None, f"{member} uses an HDF5 layout ({err}) that cnnexplain does not read"
    except Corrupt as err:
        raise file_error(path, f"{member} is corrupted ({err}).") from err
    except (DamagedZipError, zlib.error, EOFError) as err:
        raise file_error(path, f"the archive is truncated or corrupted ({member}: {err}).") from err
    except MemberReadError as err:
        raise file_error(path, f"{member} cannot be extracted ({err}).") from err
    except InflateLimitError as err:
        raise file_error(path, f"{member} is too large to read ({err}).") from err


def _weight_group(node: Node) -> WeightGroup:
    """A group as a layer sees it: its ``vars`` datasets and name folded into it."""
    shapes = sorted(node.datasets.items(), key=lambda item: _var_order(item[0]))
    groups = {key: _weight_group(child) for key, child in node.groups.items() if key != "vars"}
    name = None
    own = node.groups.get("vars")
    if own is not None:
        name = own.name
        folded = _weight_group(own)
        shapes = [(f"vars/{key}", shape) for key, shape in folded.shapes] + shapes
        groups.update({f"vars/{key}": group for key, group in folded.groups.items()})
    return WeightGroup(name, tuple(shapes), groups)


def _var_order(key: str) -> tuple[int, str]:
    tail = key.rsplit("/", 1)[-1]
    return (int(tail), key) if tail.isdigit() else (2**63, key)
