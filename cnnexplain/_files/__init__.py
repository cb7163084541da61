"""Saved model files into the model graph, read by our own bounded parsers.

`read_model_file` tells the format by content, not name: a ``.keras`` archive
(`keras_zip`), a legacy HDF5 file (`legacy_h5`), a tf.keras SavedModel directory
(`tf_savedmodel`) or a JSON config; each returns a `model_file.SavedModel`, which
`cnnexplain._files.explain` turns into a breakdown. The zip, HDF5, protobuf and
checkpoint parsers are cnnexplain's own (`zip_archive`, `hdf5`, `protobuf`,
`tf_bundle`), bounded by `limits`; Keras 2 configs are read in `keras2`.

Nothing in the file is ever run: no unpickling, no ``keras.models.load_model``,
no import of a module the config names. Its bytes are parsed by cnnexplain's own
readers only: h5py (or any other native parser) is never used on a file, so no
crafted file can crash the process. Every read is bounded (`cnnexplain._files.limits`),
so a zip bomb or an absurd size is reported, not allocated.

Examples:
    >>> import json, tempfile, pathlib
    >>> config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": []}}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "tiny.json")
    ...     _ = path.write_text(json.dumps(config))
    ...     saved = read_model_file(path)
    >>> saved.class_name, saved.weights, saved.no_weights
    ('Sequential', None, 'a JSON config holds no weights')
"""

from __future__ import annotations

import os
import struct
import zlib

from cnnexplain._errors import ModelFileError
from cnnexplain._files.keras_zip import ZIP_MAGIC, read_archive
from cnnexplain._files.legacy_h5 import read_h5_model
from cnnexplain._files.model_file import (
    SavedModel,
    file_error,
    model_config,
    parse_json,
    read_limited,
    version_warning,
)
from cnnexplain._files.tf_savedmodel import read_saved_model

__all__ = ["read_model_file"]

_SHOWN = 60
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def read_model_file(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file without running anything in it.

    A ``.keras`` archive, a JSON config, a legacy HDF5 file (`cnnexplain._files.legacy_h5`)
    or a tf.keras SavedModel directory (`cnnexplain._files.tf_savedmodel`), told apart by
    their content, not their name.

    Args:
        path: the file or directory.

    Returns:
        The `SavedModel`, with the weight shapes when the file holds weights.

    Raises:
        ModelFileError: if the file is missing, not a zip, HDF5 nor JSON, truncated
            or corrupted, lacks its config, or its config is too large or not a
            Sequential or Functional model.
    """
    name = os.fspath(path)
    try:
        return _read_model_file(name)
    except ModelFileError:
        raise
    except (
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        RecursionError,
        EOFError,
        OSError,
        struct.error,
        zlib.error,
    ) as err:
        # Defence in depth: every reader checks what it reads, and fuzzing finds nothing
        # past those checks; were a crafted file to reach one, it is still refused.
        raise file_error(
            name,
            f"it is damaged in a way cnnexplain does not recognise ({type(err).__name__}: "
            f"{str(err)[:_SHOWN]}).",
        ) from err


def _read_model_file(name: str) -> SavedModel:
    if os.path.isdir(name):  # noqa: PTH112 - name may be any str
        return read_saved_model(name)
    try:
        with open(name, "rb") as stream:  # noqa: PTH123 - path may be str or PathLike
            head = stream.read(8)
            if head[:4] in ZIP_MAGIC:
                return read_archive(name, stream)
            if head == _HDF5_SIGNATURE:
                return read_h5_model(name, stream)
            stream.seek(0)
            data = read_limited(stream, name, "the file")
    except FileNotFoundError:
        raise file_error(name, "no such file.") from None
    except OSError as err:
        raise file_error(name, f"{err.strerror or err}.") from err
    if not data.strip():
        raise file_error(name, "the file is empty; expected a .keras, .h5 or JSON model file.")
    if data.lstrip()[:1] != b"{":
        raise file_error(
            name,
            "it is neither a .keras archive (zip), an HDF5 file (.h5) nor a Keras model JSON "
            "config. "
            f"Received: first bytes {data[:8]!r}.",
        )
    top = parse_json(data, name, "the file")
    class_name, config = model_config(top, name, "the file")
    version = top.get("keras_version") if isinstance(top, dict) else None
    return SavedModel(
        name,
        class_name,
        config,
        None if version is None else str(version),
        None,
        "a JSON config holds no weights",
        version_warning(name, version),
    )
