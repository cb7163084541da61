"""The public API: what __all__ promises, and that importing stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import cnnexplain
from cnnexplain import spec


def test_all_is_sorted_and_complete() -> None:
    assert cnnexplain.__all__ == sorted(cnnexplain.__all__)
    public = {
        name
        for name, value in vars(cnnexplain).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(cnnexplain.__all__)
    for name in cnnexplain.__all__:
        assert hasattr(cnnexplain, name), name


def test_public_objects_live_in_cnnexplain() -> None:
    for name in cnnexplain.__all__:
        value = getattr(cnnexplain, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__ == "cnnexplain", name


def test_spec_all_lists_every_layer_class() -> None:
    assert spec.__all__ == sorted(spec.__all__)
    layer_classes = {
        name
        for name, value in vars(spec).items()
        if isinstance(value, type) and issubclass(value, spec.Layer) and not name.startswith("_")
    }
    assert layer_classes - {"InputLayer"} <= set(spec.__all__)


def test_import_does_not_load_tensorflow_or_keras() -> None:
    code = (
        "import sys, cnnexplain\n"
        "b = cnnexplain.explain(cnnexplain.spec.Sequential("
        "[cnnexplain.spec.Input((4,)), cnnexplain.spec.Dense(2)]))\n"
        "assert b.total == 10\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
