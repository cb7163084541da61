"""The ``cnnexplain`` command: same figures as the live model, one line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from saved_models import (
    APPLICATIONS,
    Legacy,
    Saved,
    legacy,
    member_json,
    rewrite,
    saved,
    write_json,
)

from cnnexplain import diagnose, explain
from cnnexplain._cli import get_parser, main

__all__ = ["legacy", "saved"]  # the fixtures, imported for pytest

CLI = Path(sys.executable).with_name("cnnexplain")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- same figures as the in-memory model -------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "nested", *APPLICATIONS])
def test_json_output_equals_the_live_breakdown(
    saved: Saved, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    model, path = saved(name)
    code, out, err = run(capsys, path, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == explain(model).to_dict()


@pytest.mark.parametrize(
    ("fmt", "render"),
    [
        ("text", lambda b: b.to_text()),
        ("markdown", lambda b: b.to_markdown()),
        ("latex", lambda b: b.to_latex()),
    ],
)
@pytest.mark.parametrize("expand", [False, True])
def test_formats_render_the_live_breakdown(
    saved: Saved,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    render: Callable[[Any], str],
    expand: bool,
) -> None:
    model, path = saved("nested")
    flags = ["--expand"] if expand else []
    code, out, err = run(capsys, path, "--format", fmt, *flags)
    assert (code, err) == (0, "")
    assert out == render(explain(model, expand=expand)).rstrip("\n") + "\n"


def test_text_is_the_default(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    model, path = saved("seed")
    assert run(capsys, path) == (0, explain(model).to_text() + "\n", "")


def test_a_big_model_stays_readable(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    model, path = saved("ResNet50")
    b = explain(path)  # the file's figures (test_json_output... compares them with Keras)
    bns = [layer.name for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    folded = f"{len(bns)} BatchNormalization layers ({bns[0]}, {bns[1]}, …, {bns[-1]}): "
    for flags in ([], ["--formula"]):
        code, out, err = run(capsys, path, *flags)
        assert (code, err) == (0, "")
        lines = out.splitlines()
        rule = next(line for line in lines if line.startswith("─"))
        assert max(len(line) for line in lines) == len(rule)  # nothing wider than the table
        notes = lines[lines.index("Notes:") + 1 :]
        assert [line for line in notes if "BatchNormalization" in line] == [notes[0]]
        assert notes[0].startswith(f"  {folded}")
        assert sum("moving_mean" in line for line in lines) == 1
        start = next(i for i, line in enumerate(lines) if line.startswith("Total params:"))
        end = next(i for i, line in enumerate(lines) if line.startswith("Trainable params:"))
        total = " ".join(line.strip() for line in lines[start:end])
        if flags:  # the whole formula, wrapped before a +
            assert total == f"Total params: {b.total:,} = {b.formula.text()}"
        else:
            terms = [term.text() for term in b.formula.terms]
            head = total.split(" = ", 1)[1].split(" + … ")[0].split(" + ")
            assert head == terms[: len(head)]
            assert end == start + 1
            left = len(terms) - len(head) - 1
            assert total.endswith(f" + … {left} more terms … + {terms[-1]}")
    code, out, _ = run(capsys, path, "--format", "markdown")
    assert code == 0
    assert [line for line in out.splitlines() if "BatchNormalization layers" in line] == [
        line for line in out.splitlines() if line.startswith(f"- {folded}")
    ]
    assert sum(line.startswith(f"- {folded}") for line in out.splitlines()) == 1
    total = next(line for line in out.splitlines() if line.startswith("**Total params:**"))
    assert len(total) < 200
    assert " more terms … + " in total


def test_keras_json_config_is_accepted(
    saved: Saved, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model, _ = saved("ResNet50")
    path = tmp_path / "resnet50.json"
    path.write_text(model.to_json(), encoding="utf-8")
    code, out, _ = run(capsys, path, "--format", "json")
    assert code == 0
    assert json.loads(out) == explain(model).to_dict()


def test_diagnose_adds_the_diagnosis(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    model, path = saved("seed")
    running = [288, 540_988, 541_988]
    expected = diagnose(model, running=running)
    code, out, _ = run(capsys, path, "--diagnose", "288,540988,541988")
    assert code == 0
    assert out == f"{explain(model).to_text()}\n\n{expected}\n"
    code, out, _ = run(capsys, path, "--diagnose", "288, 540988, 541988", "--format", "json")
    assert json.loads(out)["diagnosis"] == expected.to_dict()
    code, out, _ = run(capsys, path, "--diagnose", "288,540988,541988", "--format", "markdown")
    assert out == f"{explain(model).to_markdown()}\n{expected.to_markdown()}"


def test_costs_adds_the_costs(saved: Saved, capsys: pytest.CaptureFixture[str]) -> None:
    model, path = saved("seed")
    costs = explain(model).costs()
    code, out, _ = run(capsys, path, "--costs")
    assert code == 0
    assert out == f"{explain(model).to_text()}\n\n{costs.to_text()}\n"
    code, out, _ = run(capsys, path, "--costs", "--format", "markdown")
    assert out == f"{explain(model).to_markdown()}\n{costs.to_markdown()}"
    code, out, _ = run(capsys, path, "--costs", "--format", "json")
    data = json.loads(out)
    assert {k: v for k, v in data.items() if k != "costs"} == explain(model).to_dict()
    got = data["costs"]
    assert (got["macs"], got["flops"], got["param_bytes"], got["activation_bytes"]) == (
        costs.macs,
        costs.flops,
        costs.param_bytes,
        costs.activation_bytes,
    )
    assert [(r["name"], r["macs"], r["param_bytes"]) for r in got["rows"]] == [
        (r.name, r.macs, r.param_bytes) for r in costs.rows
    ]
    formula = costs.rows[0].macs_formula
    assert formula is not None
    assert got["rows"][0]["macs_formula"] == formula.text()


def test_layers_without_rule_warn_unless_strict(
    saved: Saved, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model, archive = saved("unruled")
    assert run(capsys, archive, "--strict")[0] == 0  # explained from the stored variables
    path = tmp_path / "unruled.json"  # no weights: nothing to count the custom layers from
    path.write_text(model.to_json(), encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 0
    assert out == explain(path).to_text() + "\n"
    assert err == (
        f"cnnexplain: warning: {path}: 2 layers have no rule, so their count and shape come "
        "from the file, unexplained: double (Lambda), scale (Scale).\n"
    )
    strict = (
        f"cnnexplain: error: {path}: 2 layers have no rule, so their count and shape come "
        "from the file, unexplained: double (Lambda), scale (Scale); --strict makes this an "
        "error.\n"
    )
    assert run(capsys, path, "--strict") == (2, "", strict)


# --- bad input: one line on stderr, exit status 2 ----------------------------------------------

Builder = Callable[[Path, Path], list[str]]


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> list[str]:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return [str(path)]


def _config_edit(edit: Callable[[Any], Any]) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:
        config = member_json(seed, "config.json")
        return [str(rewrite(seed, tmp / "m.keras", config=edit(config)))]

    return build


def _set_filters(config: Any) -> Any:
    config["config"]["layers"][1]["config"]["filters"] = -3
    return config


def _set_units(value: int) -> Callable[[Any], Any]:
    def edit(config: Any) -> Any:
        config["config"]["layers"][-1]["config"]["units"] = value
        return config

    return edit


def _set_layers(config: Any) -> Any:
    config["config"]["layers"] = {"conv": 1}
    return config


def _truncated(tmp: Path, seed: Path) -> list[str]:
    path = tmp / "m.keras"
    path.write_bytes(seed.read_bytes()[: seed.stat().st_size // 2])
    return [str(path)]


def _corrupted(tmp: Path, seed: Path) -> list[str]:
    data = bytearray(seed.read_bytes())
    with zipfile.ZipFile(seed) as archive:
        info = archive.getinfo("config.json")
    at = info.header_offset + 30 + len(info.filename) + 100  # inside config.json's bytes
    data[at] ^= 0xFF
    path = tmp / "m.keras"
    path.write_bytes(bytes(data))
    return [str(path)]


def _corrupted_weights(tmp: Path, seed: Path) -> list[str]:
    return [str(rewrite(seed, tmp / "m.keras", weights=b"\x89HDF\r\n\x1a\n" + b"\0" * 200))]


def _bomb(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    return _zip(tmp / "m.keras", {"config.json": b" " * (65 * 2**20)}, zipfile.ZIP_DEFLATED)


def _deep(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    path = tmp / "m.json"
    path.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000, encoding="utf-8")
    return [str(path)]


def _file(name: str, data: bytes) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
        path = tmp / name
        path.write_bytes(data)
        return [str(path)]

    return build


def _archive(members: dict[str, bytes]) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
        return _zip(tmp / "m.keras", members)

    return build


def _without(member: str, *flags: str) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:
        return [str(rewrite(seed, tmp / "m.keras", drop=(member,))), *flags]

    return build


def _metadata(value: Any, *flags: str) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:
        return [str(rewrite(seed, tmp / "m.keras", metadata=value)), *flags]

    return build


def _args(*argv: str) -> Builder:
    def build(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
        return [str(seed), *argv]

    return build


def _nested_deep(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    config: dict[str, Any] = {"name": "m60", "layers": []}
    for depth in range(60):
        config = {"name": f"m{depth}", "layers": [{"class_name": "Sequential", "config": config}]}
    return [str(write_json(tmp / "m.json", {"class_name": "Sequential", "config": config}))]


def _subclassed(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    top = {"module": "my_models", "class_name": "MyModel", "config": {}}
    return [str(write_json(tmp / "m.json", top))]


ERR = "cnnexplain: error: "


def case(name: str, builder: Builder, message: str) -> Any:
    """A bad input: how to make it, and the one line it gets (``{0}`` is the path)."""
    return pytest.param(builder, message, id=name)


def _missing(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    return [str(tmp / "none.keras")]


def _directory(tmp: Path, seed: Path) -> list[str]:  # noqa: ARG001
    return [str(tmp)]


BAD_INPUT = [
    case("missing", _missing, "Cannot read '{0}': no such file."),
    case(
        "directory",
        _directory,
        "Cannot read '{0}': it is a directory but not a SavedModel (no saved_model.pb nor "
        "keras_metadata.pb); expected a .keras, .h5 or JSON file, or a tf.keras SavedModel "
        "directory.",
    ),
    case(
        "empty",
        _file("m.keras", b""),
        "Cannot read '{0}': the file is empty; expected a .keras, .h5 or JSON model file.",
    ),
    case(
        "not a zip",
        _file("m.keras", b"GIF89a\x01\x00"),
        "Cannot read '{0}': it is neither a .keras archive (zip), an HDF5 file (.h5) nor a "
        "Keras model JSON config. Received: first bytes b'GIF89a\\x01\\x00'.",
    ),
    case(
        "no config.json",
        _archive({"model.weights.h5": b""}),
        "Cannot read '{0}': the archive has no config.json; expected a .keras file saved by "
        "Keras (model.save). Received: members ['model.weights.h5'].",
    ),
    case(
        "a PyTorch file",
        # the layout of torch.save's zip archive: <name>/data.pkl, <name>/data/0...
        _archive({"net/data.pkl": b"", "net/version": b"3\n", "net/data/0": b""}),
        "Cannot read '{0}': this is a PyTorch file (torch.save), which holds weights or a "
        "pickled module but no architecture cnnexplain reads without running code; the "
        "command reads Keras files only. Explain the module from Python: "
        "cnnexplain.explain(module, input_size=(1, 1, 28, 28)) with your input's shape, "
        "batch included.",
    ),
    case(
        "truncated",
        _truncated,
        "Cannot read '{0}': the archive is truncated or corrupted (File is not a zip file).",
    ),
    case(
        "corrupted",
        _corrupted,
        "Cannot read '{0}': the archive is truncated or corrupted (config.json: Bad CRC-32 for "
        "file 'config.json').",
    ),
    case(
        "corrupted weights",
        _corrupted_weights,
        "Cannot read '{0}': model.weights.h5 is corrupted (the superblock gives 0-byte "
        "addresses and 0-byte lengths).",
    ),
    case(
        "zip bomb",
        _bomb,
        "Cannot read '{0}': config.json is larger than 64 MiB, too large to be a Keras model "
        "config (a zip bomb, or not a config); expected a config of a few MiB at most.",
    ),
    case(
        "invalid JSON",
        _archive({"config.json": b'{"class_name": "Sequential", '}),
        "Cannot read '{0}': config.json is not valid JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 30 (char 29)).",
    ),
    case(
        "deeply nested JSON",
        _deep,
        "Cannot read '{0}': the file nests too deeply to be a Keras model config.",
    ),
    case(
        "not an object",
        _archive({"config.json": b"[1, 2]"}),
        "Cannot read '{0}': config.json is not a JSON object. Received: list.",
    ),
    case(
        "subclassed model",
        _subclassed,
        "Cannot read '{0}': the file describes a MyModel (module my_models), not a Sequential "
        "or Functional model; a subclassed model's architecture is Python code, which "
        "cnnexplain never runs.",
    ),
    case(
        "no class_name",
        _file("m.json", b'{"config": {"layers": 3}}'),
        "Cannot read '{0}': in the file: 'class_name' must name the model's class. Received: None.",
    ),
    case(
        "models nested too deep",
        _nested_deep,
        "Cannot read '{0}': the file nests models more than 50 deep.",
    ),
    case(
        "malformed layers",
        _config_edit(_set_layers),
        "Cannot read '{0}': in config.json, model 'mnist': 'layers' must be a list. Received: "
        "{{'conv': 1}}.",
    ),
    case(
        "invalid layer argument",
        _config_edit(_set_filters),
        "In '{0}': Layer 'conv' (Conv2D): 'filters' must be at least 1. Received: filters=-3.",
    ),
    case(
        "integer too large",
        _config_edit(_set_units(10**30)),
        "Cannot read '{0}': config.json holds an integer of 31 digits, larger than any size "
        "Keras can hold (below 2**63). Received: 100000000000000000000000...",
    ),
    case(
        "weights disagree",
        _config_edit(_set_units(7)),
        "Cannot read '{0}': layer 'output' (Dense) holds weights of shapes (100, 10), (10,) in "
        "model.weights.h5, but its config implies (100, 7), (7,).",
    ),
    case(
        "unknown Keras version, strict",
        _metadata({"keras_version": "9.1.0"}, "--strict"),
        "'{0}' was saved by Keras 9.1.0, which cnnexplain does not know (it reads Keras 2 and 3 "
        "configs); the breakdown may be wrong; --strict makes this an error.",
    ),
    case(
        "no metadata.json, strict",
        _without("metadata.json", "--strict"),
        "'{0}' does not record the Keras version that saved it (no keras_version in "
        "metadata.json); reading it as Keras 3; --strict makes this an error.",
    ),
    case(
        "unknown format",
        _args("--format", "xml"),
        "argument --format: invalid choice: 'xml' (choose from 'text', 'markdown', 'json', "
        "'latex', 'svg') (see cnnexplain --help)",
    ),
    case(
        "unreadable hand count",
        _args("--diagnose", "288,x"),
        "argument --diagnose: --diagnose takes integers separated by commas, e.g. "
        "288,540988,541988. Received: '288,x' (see cnnexplain --help)",
    ),
    case(
        "hand count of the wrong length",
        _args("--diagnose", "288,540988"),
        "{0}: diagnose(): running has 2 totals but model 'mnist' has 3 layers with parameters "
        "(conv, hidden, output) and 5 layers in all; give one number per layer with "
        "parameters, or one per layer. Received: running=[288, 540988].",
    ),
    case(
        "LaTeX extras",
        _args("--costs", "--format", "latex"),
        "--costs and --diagnose have no LaTeX form; use --format text, markdown or json.",
    ),
]


@pytest.mark.parametrize(("builder", "message"), BAD_INPUT)
def test_bad_input_gets_one_line_and_exit_status_2(
    saved: Saved, capsys: pytest.CaptureFixture[str], tmp_path: Path, builder: Builder, message: str
) -> None:
    _, seed = saved("seed")
    argv = builder(tmp_path, seed)
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert (status, out, err) == (2, "", ERR + message.format(argv[0]) + "\n")


@pytest.mark.parametrize(
    ("builder", "warning"),
    [
        pytest.param(
            _metadata({"keras_version": "9.1.0"}),
            "'{0}' was saved by Keras 9.1.0, which cnnexplain does not know (it reads Keras 2 "
            "and 3 configs); the breakdown may be wrong.",
            id="unknown Keras version",
        ),
        pytest.param(
            _without("metadata.json"),
            "'{0}' does not record the Keras version that saved it (no keras_version in "
            "metadata.json); reading it as Keras 3.",
            id="no metadata.json",
        ),
    ],
)
def test_unknown_version_warns_and_explains(
    saved: Saved, capsys: pytest.CaptureFixture[str], tmp_path: Path, builder: Builder, warning: str
) -> None:
    model, seed = saved("seed")
    argv = builder(tmp_path, seed)
    assert run(capsys, *argv) == (
        0,
        explain(model).to_text() + "\n",
        f"cnnexplain: warning: {warning.format(argv[0])}\n",
    )


# --- whole processes: no TensorFlow, python -m, the console script -----------------------------

HEAVY = (
    "sorted(m for m in sys.modules"
    " if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'h5py', 'numpy'))"
)


def _fresh(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_explaining_a_file_imports_neither_tensorflow_nor_keras(saved: Saved) -> None:
    _, path = saved("ResNet50")
    code = (
        "import sys, cnnexplain\n"
        f"b = cnnexplain.explain({str(path)!r})\n"
        "from cnnexplain._cli import main\n"
        f"assert main([{str(path)!r}, '--format', 'json']) == 0\n"
        f"print(b.total, {HEAVY})\n"
    )
    model, _ = saved("ResNet50")
    assert _fresh(code) == f"{model.count_params()} []"


def test_legacy_files_import_neither_tensorflow_nor_keras(legacy: Legacy) -> None:
    folder, oracle = legacy
    paths = [folder / "seed.h5", folder / "ResNet50.h5", folder / "seed_savedmodel"]
    code = (
        "import sys, cnnexplain\n"
        "from cnnexplain._cli import main\n"
        f"totals = [cnnexplain.explain(p).total for p in {[str(p) for p in paths]!r}]\n"
        f"assert all(main([p, '--format', 'json']) == 0 for p in {[str(p) for p in paths]!r})\n"
        f"print(totals, {HEAVY})\n"
    )
    totals = [oracle["seed"]["total"], oracle["ResNet50"]["total"], oracle["seed"]["total"]]
    assert _fresh(code) == f"{totals} []"


def test_help_imports_neither_tensorflow_nor_keras() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from cnnexplain._cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "assert out.getvalue().startswith('usage: cnnexplain'), out.getvalue()\n"
        f"print({HEAVY})\n"
    )
    assert _fresh(code) == "[]"


def test_help_is_the_parsers_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == get_parser().format_help()


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "cnnexplain"], [str(CLI)]],
    ids=["python -m cnnexplain", "console script"],
)
def test_whole_process(saved: Saved, command: list[str]) -> None:
    model, path = saved("seed")
    result = subprocess.run([*command, str(path)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        explain(model).to_text() + "\n",
        "",
    )
    result = subprocess.run(
        [*command, str(path.with_name("none.keras"))], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == f"cnnexplain: error: Cannot read '{path.with_name('none.keras')}': no such file.\n"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from cnnexplain import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert (exit_.value.code, capsys.readouterr().out) == (0, f"cnnexplain {__version__}\n")


def test_format_choices_follow_the_renderers_table() -> None:
    from cnnexplain import _cli
    from cnnexplain._render.formats import RENDERERS, Format

    assert set(_cli.FORMATS) == {f.value for f in Format} - {"html"}
    assert set(_cli._EXTRAS) == {f.value for f, r in RENDERERS.items() if r.extras}
