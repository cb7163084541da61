"""Every limit on what a model file may make cnnexplain read, parse or compute: in one place.

A model file is untrusted input: it may come from anywhere, and be damaged or
crafted. Its bytes are parsed only by cnnexplain's own readers, written in
Python (`cnnexplain._files.zip_archive`, `cnnexplain._files.inflate`, `cnnexplain._files.hdf5`,
`cnnexplain._files.tf_bundle`, `cnnexplain._files.tf_savedmodel`); no native parser (h5py, HDF5,
protobuf, TensorFlow) ever sees them, only the standard library's decompressors
(zlib; bz2 and lzma for a JSON member compressed so, which Keras never writes).
Each reader stops at the limits below and says which one in one sentence (a
`ModelFileError`), so the work and memory one file can cost are bounded whatever
it holds. Every limit is far above what Keras writes for the largest
``keras.applications`` models.

| Limit | Value | What it bounds |
|---|---|---|
| `CONFIG_BYTES` | 64 MiB | ``config.json``, a JSON config, an ``.h5``'s ``model_config``, ``keras_metadata.pb``, ``variables.index`` |
| `ZIP_MEMBERS` | 100,000 | members of a ``.keras`` archive |
| `INFLATED_BYTES` | 2 GiB | bytes inflated from a deflated ``model.weights.h5`` (re-reads included) |
| `INFLATED_CACHE` | 256 MiB | inflated bytes of ``model.weights.h5`` kept in memory at once |
| `HDF5_METADATA_BYTES` | 256 MiB | HDF5 metadata read (object headers, B-trees, heaps); weight values are never read |
| `HDF5_OBJECTS` | 1,000,000 | HDF5 objects (groups and datasets) |
| `HDF5_CONTINUATIONS` | 10,000 | continuation blocks of one HDF5 object header |
| `ATTRIBUTE_ELEMENTS` | 1,000,000 | strings in one HDF5 attribute |
| `NESTING` | 200 | depth of HDF5 groups and B-trees |
| `MODEL_NESTING` | 50 | models nested in models, in a config |
| `PROTOBUF_FIELDS` | 500,000 | protobuf fields decoded in ``keras_metadata.pb`` (about 6 a layer) |
| `CHECKPOINT_FIELDS` | 3,000,000 | protobuf fields decoded in a checkpoint's index and object graph (about 130 a layer) |
| `PROTOBUF_NODES` | 1,000,000 | nodes of ``keras_metadata.pb`` or of a checkpoint's object graph |
| `NAME_CHARACTERS` | 1,024 | characters of a layer's or model's name, or a class name |

Nothing in a file is run: no unpickling, no ``keras.models.load_model``, no
import of a module the config names, no ``Lambda`` bytecode.

Examples:
    >>> CONFIG_BYTES // 2**20, NAME_CHARACTERS
    (64, 1024)
    >>> table()[0]
    ('CONFIG_BYTES', '64 MiB', "config.json, a JSON config, an .h5's model_config, keras_metadata.pb, variables.index")
"""  # noqa: E501 - a table

from __future__ import annotations

__all__ = [
    "ATTRIBUTE_ELEMENTS",
    "CHECKPOINT_FIELDS",
    "CONFIG_BYTES",
    "HDF5_CONTINUATIONS",
    "HDF5_METADATA_BYTES",
    "HDF5_OBJECTS",
    "INFLATED_BYTES",
    "INFLATED_CACHE",
    "MODEL_NESTING",
    "NAME_CHARACTERS",
    "NESTING",
    "PROTOBUF_FIELDS",
    "PROTOBUF_NODES",
    "ZIP_MEMBERS",
    "table",
]

CONFIG_BYTES = 64 * 2**20
ZIP_MEMBERS = 100_000
INFLATED_BYTES = 2 * 2**30
INFLATED_CACHE = 256 * 2**20
HDF5_METADATA_BYTES = 256 * 2**20
HDF5_OBJECTS = 1_000_000
HDF5_CONTINUATIONS = 10_000
ATTRIBUTE_ELEMENTS = 1_000_000
NESTING = 200
MODEL_NESTING = 50
PROTOBUF_FIELDS = 500_000
CHECKPOINT_FIELDS = 3_000_000
PROTOBUF_NODES = 1_000_000
NAME_CHARACTERS = 1024


def _size(value: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if value >= scale and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value:,}"


def table() -> list[tuple[str, str, str]]:
    """``(name, value, what it bounds)`` of each limit, as the module's docstring tables them."""
    rows = []
    for line in (__doc__ or "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0] != "`Limit`":  # noqa: PLR2004
            name = cells[0].strip("`")
            value = globals()[name]
            rows.append((name, _size(value), cells[2].replace("``", "")))
    return rows
