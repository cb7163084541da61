"""The public API: what __all__ promises, and that importing stays light."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import cnnexplain
import cnnexplain._rules.keras
from cnnexplain import spec
from cnnexplain._rules.keras.table import RULE_MODULES
from cnnexplain._rules.registry import REGISTERED, all_rules


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


def test_dir_lists_the_public_names() -> None:
    assert set(cnnexplain.__all__) <= set(dir(cnnexplain))


def _loaded_after(code: str) -> dict[str, list[str]]:
    """What a fresh interpreter has imported after running ``code``, by kind of module."""
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(json.dumps({\n"
        "    'cnnexplain': [m for m in new if m.startswith('cnnexplain')],\n"
        "    'heavy': [m for m in new if m.split('.')[0] in ('tensorflow', 'keras', 'torch')],\n"
        "    'stdlib': [m for m in new if m in ('inspect', 'typing', 'dataclasses', 're',\n"
        "                                       'shutil', 'zipfile', 'html')],\n"
        "}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded: dict[str, list[str]] = json.loads(out)
    return loaded


def test_import_loads_nothing_but_the_package() -> None:
    # No inspect, no spec/_costs/_diagnose, no rule module, no framework: a name is
    # imported from its module when first used (cnnexplain.__getattr__).
    loaded = _loaded_after("import cnnexplain")
    assert loaded == {"cnnexplain": ["cnnexplain"], "heavy": [], "stdlib": []}


def test_help_loads_only_the_command() -> None:
    loaded = _loaded_after(
        "import contextlib, io\n"
        "from cnnexplain._cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
    )
    assert loaded["cnnexplain"] == ["cnnexplain", "cnnexplain._cli"]
    assert loaded["heavy"] == []
    assert not {"inspect", "typing", "shutil"} & set(loaded["stdlib"])


def test_reading_a_keras_file_imports_neither_zipfile_nor_every_rule(tmp_path: Path) -> None:
    model = spec.Sequential([spec.Input((4,)), spec.Dense(2, name="d")], name="m")
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as archive:  # what Keras writes, weights aside
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr(
            "config.json", json.dumps({"class_name": "Sequential", "config": model.config()})
        )
    loaded = _loaded_after(
        "import contextlib, io\n"
        "from cnnexplain._cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert main([{str(path)!r}]) == 0\n"
        "assert 'Total params: 10' in out.getvalue(), out.getvalue()\n"
    )
    assert not {"zipfile", "html"} & set(loaded["stdlib"])
    assert loaded["heavy"] == []
    rules = {m for m in loaded["cnnexplain"] if m.startswith("cnnexplain._rules.")}
    assert "cnnexplain._rules.keras.core" in rules  # Dense's rule, and only the rules it needs
    assert not {"cnnexplain._rules.keras.recurrent", "cnnexplain._graph.operations"} & rules


def test_explaining_a_spec_loads_only_its_rules_and_no_framework() -> None:
    loaded = _loaded_after(
        "import cnnexplain\n"
        "b = cnnexplain.explain(cnnexplain.spec.Sequential("
        "[cnnexplain.spec.Input((4,)), cnnexplain.spec.Dense(2)]))\n"
        "assert b.total == 10\n"
        "import cnnexplain._breakdown, cnnexplain._render.tables\n"  # already loaded: no change
    )
    assert loaded["heavy"] == []
    rules = {m.rpartition(".")[2] for m in loaded["cnnexplain"] if m.startswith("cnnexplain._r")}
    assert "core" in rules  # Dense's rule
    assert not rules & {"recurrent", "attention", "preprocessing", "einsum"}
    # The breakdown's renderers and costs are imported by the calls that need them.
    assert not {"cnnexplain._costs", "cnnexplain._diagnose.diagnosis"} & set(loaded["cnnexplain"])


def test_breakdown_does_not_import_its_renderers_or_costs() -> None:
    loaded = _loaded_after("import cnnexplain._breakdown")
    assert not {"cnnexplain._render.tables", "cnnexplain._costs"} & set(loaded["cnnexplain"])


def test_public_objects_are_named_cnnexplain_as_soon_as_their_module_loads() -> None:
    # Reached without cnnexplain.X (as explain() reaches Breakdown and the errors),
    # each still reprs and raises as cnnexplain.X.
    code = (
        "import importlib, cnnexplain\n"
        "wrong = [n for n, m in cnnexplain._LAZY.items() if n != 'spec' and\n"
        "         getattr(importlib.import_module(m), n).__module__ != 'cnnexplain']\n"
        "print(wrong)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_lazy_table_names_every_public_object() -> None:
    assert set(cnnexplain._LAZY) == set(cnnexplain.__all__) - {"__version__"}
    assert cnnexplain.spec is importlib.import_module("cnnexplain.spec")


def _registered_by_module() -> dict[str, tuple[str, ...]]:
    package = cnnexplain._rules.keras
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    found: dict[str, list[str]] = {}
    for kind, fn in REGISTERED.items():
        found.setdefault(fn.__module__.rpartition(".")[2], []).append(kind)
    return {module: tuple(kinds) for module, kinds in found.items()}


def test_rule_table_lists_exactly_what_the_rule_modules_register() -> None:
    # find_rule imports a rule's module from this table: a rule missing from it is never found.
    found = _registered_by_module()
    table = "\n".join(f"    {module!r}: {kinds!r}," for module, kinds in sorted(found.items()))
    assert found == RULE_MODULES, (
        "cnnexplain/_rules/keras/table.py must list every kind each rule module registers, "
        f"in order; the modules register:\n{table}"
    )
    assert list(all_rules()) == [k for kinds in RULE_MODULES.values() for k in kinds]
