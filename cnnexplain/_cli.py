"""The ``cnnexplain`` command: explain a saved model file in a terminal or in CI.

It reads the file (``.keras``, ``.h5``, a SavedModel directory or JSON) with the
standard library and cnnexplain's own bounded readers (the weight shapes with a
small HDF5 reader; no native parser such as h5py ever sees the file), never
imports TensorFlow or Keras, and never runs code from the file. Bad input gets
one line on stderr and exit status 2; so does a file with layers cnnexplain
cannot explain when ``--strict`` is given.

Examples:
    >>> from cnnexplain._cli import get_parser
    >>> get_parser().parse_args(["model.keras", "--format", "json"]).format
    'json'
"""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING: --help imports nothing it does not print
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

    from cnnexplain._breakdown import Breakdown

__all__ = ["FORMATS", "get_parser", "main"]

FORMATS = ("text", "markdown", "json", "latex", "svg")
"""``--format`` choices: `cnnexplain._render.formats.Format` less HTML, named here so that
``--help`` imports no renderer (tests/test_cli.py checks the two agree)."""
_EXTRAS = ("text", "markdown", "json")
"""The formats in which ``--costs`` and ``--diagnose`` have a form (the renderers' table says)."""
EXIT_OK = 0
EXIT_BAD_INPUT = 2
PROG = "cnnexplain"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _counts(value: str) -> list[int]:
    """``288,540988,541988`` (underscores and spaces allowed) as a list of integers."""
    try:
        counts = [int(part.strip()) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "--diagnose takes integers separated by commas, e.g. 288,540988,541988. "
            f"Received: {value!r}"
        ) from None
    return counts


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _formatter(prog: str) -> argparse.HelpFormatter:
    """The help layout of argparse, with the width it would find (shutil costs --help 3 ms)."""
    return argparse.HelpFormatter(prog, width=_columns() - 2)


def get_parser() -> argparse.ArgumentParser:
    """The command's argument parser (its ``--help`` is in the docs)."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_formatter,
        description=(
            "Explain where every parameter of a saved Keras model comes from: one row per "
            "layer with the formula of its count and the arithmetic of its output shape. "
            "Reads a .keras file, a legacy .h5 file (Keras 2 or 3), a tf.keras SavedModel "
            "directory or a Keras model JSON config without TensorFlow and never runs code "
            "from it; the weight shapes stored in the file check every row."
        ),
        epilog=(
            "Exit status: 0 on success; 2 on bad input (missing, corrupted or unreadable "
            "file, invalid layer config, weights that disagree with the config), and with "
            "--strict also when a layer has no rule or the Keras version is unknown."
        ),
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        help="a .keras or .h5 file, a SavedModel directory or a model JSON config",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help=(
            "output format (default: text, laid out like model.summary(); svg draws the "
            "model as volumes)"
        ),
    )
    parser.add_argument(
        "--expand", action="store_true", help="list the layers of nested models under their row"
    )
    parser.add_argument(
        "--formula",
        action="store_true",
        help=(
            "write the whole model formula under the table (by default a formula wider "
            "than the table shows its first and last terms)"
        ),
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) when a layer has no rule or the Keras version is unknown",
    )
    parser.add_argument(
        "--diagnose",
        metavar="COUNTS",
        type=_counts,
        help=(
            "compare a hand count, given as running totals after each layer with "
            "parameters (e.g. 288,540988,541988), with the model and explain the gap"
        ),
    )
    parser.add_argument(
        "--costs",
        action="store_true",
        help="add MACs, FLOPs and memory per layer and in total",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return parser


def _version() -> str:
    from cnnexplain import __version__  # noqa: PLC0415

    return __version__


def _warn(message: str) -> None:
    from cnnexplain._escape import visible  # noqa: PLC0415

    print(f"{PROG}: warning: {visible(message)}", file=sys.stderr)


def _fail(message: str) -> int:
    from cnnexplain._escape import visible  # noqa: PLC0415

    print(f"{PROG}: error: {visible(' '.join(message.split()))}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _strict(message: str) -> str:
    return f"{message.removesuffix('.')}; --strict makes this an error."


def _unexplained_message(paths: list[tuple[str, str]]) -> str:
    from cnnexplain._escape import short_path, shorten  # noqa: PLC0415

    listed = ", ".join(f"{short_path(path)} ({shorten(kind)})" for path, kind in paths)
    layers = "layer has" if len(paths) == 1 else "layers have"
    return (
        f"{len(paths)} {layers} no rule, so {'its' if len(paths) == 1 else 'their'} "
        f"count and shape come from the file, unexplained: {listed}."
    )


def _render(breakdown: Breakdown, args: argparse.Namespace, extras: dict[str, Any]) -> str:
    """The output in the chosen format, with no raw control character (a terminal shows it)."""
    from cnnexplain._escape import visible  # noqa: PLC0415
    from cnnexplain._render.formats import Format, Layout, render  # noqa: PLC0415

    fmt = Format(args.format)
    text = render(breakdown, fmt, Layout(args.expand, args.formula), extras)
    return text if fmt is Format.JSON else visible(text, keep_newlines=True)


def _extras(breakdown: Breakdown, args: argparse.Namespace) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if args.costs:
        extras["costs"] = breakdown.costs()
    if args.diagnose is not None:
        from cnnexplain._diagnose.diagnosis import diagnose  # noqa: PLC0415

        extras["diagnosis"] = diagnose(breakdown, running=args.diagnose)
    return extras


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    Examples:
        >>> main(["no-such-model.keras"])
        2
    """
    args = get_parser().parse_args(argv)
    if (args.costs or args.diagnose is not None) and args.format not in _EXTRAS:
        form = {"latex": "LaTeX", "svg": "SVG"}.get(args.format, args.format)
        return _fail(
            f"--costs and --diagnose have no {form} form; use --format {', '.join(_EXTRAS[:-1])} "
            f"or {_EXTRAS[-1]}."
        )

    from cnnexplain._errors import CnnexplainError, ModelFileError  # noqa: PLC0415
    from cnnexplain._files import read_model_file  # noqa: PLC0415
    from cnnexplain._files.explain import explain_saved  # noqa: PLC0415

    try:
        saved = read_model_file(args.path)
        warnings = list(saved.warnings)
        if args.strict and warnings:
            return _fail(_strict(warnings[0]))
        breakdown = explain_saved(saved, expand=args.expand)
        unexplained = [(path, row.kind) for path, row in breakdown.walk() if not row.explained]
        if unexplained:
            warnings.append(f"{args.path}: {_unexplained_message(unexplained)}")
            if args.strict:
                return _fail(_strict(warnings[-1]))
        output = _render(breakdown, args, _extras(breakdown, args))
    except ModelFileError as err:
        return _fail(str(err))
    except CnnexplainError as err:
        return _fail(f"{args.path}: {err}")
    for message in warnings:  # only once the file is explained: bad input gets one line
        _warn(message)
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) closed the pipe: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK
