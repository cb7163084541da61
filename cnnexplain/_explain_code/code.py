"""`explain_code`: run a learner's Keras or PyTorch model-building code without either framework.

Keras code runs against `cnnexplain.spec` behind a Keras-shaped module tree
(`cnnexplain._explain_code.keras_front`); what Keras 3 would reject or warn about is reported
with Keras's own message. PyTorch code (code that imports ``torch``) runs against a stand-in
of ``torch`` with shape-only tensors (`cnnexplain._explain_code.torch_front`), whose layers are
counted by the torch rules. Every model the code builds is explained.
"""

from __future__ import annotations

import builtins
import contextlib
import traceback
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnexplain import _publish
from cnnexplain._breakdown import Breakdown
from cnnexplain._diagnose.diagnosis import Diagnosis, diagnose
from cnnexplain._errors import CnnexplainError, CodeError
from cnnexplain._explain_code import keras_front as front
from cnnexplain._explain_code.keras_calls import FILENAME, KerasNote

__all__ = ["CodeResult", "explain_code"]


@dataclass(frozen=True)
class CodeResult:
    """What `explain_code` found: each model built, Keras 3's notes, the printed output.

    Attributes:
        models: the `Breakdown` of each model the code built, in the order built.
        notes: what Keras 3 would reject (the real run would stop there), warn
            about, or what was accepted without being run (``fit()``), by line.
        output: everything the code printed (``model.summary()`` prints
            cnnexplain's table).
        diagnosis: with a hand count, its `Diagnosis` against the last model.
    """

    models: tuple[Breakdown, ...]
    notes: tuple[KerasNote, ...]
    output: str
    diagnosis: Diagnosis | None = None

    @property
    def breakdown(self) -> Breakdown:
        """The last model built (the one a hand count is compared with).

        (There is always one: `explain_code` raises `CodeError` when the code builds none.)
        """
        return self.models[-1]

    @property
    def errors(self) -> tuple[KerasNote, ...]:
        """The notes where Keras 3 itself would stop."""
        return tuple(n for n in self.notes if n.kind == "error")

    def __str__(self) -> str:
        parts = [b.to_text() for b in self.models]
        if self.notes:
            parts.append("Keras 3:\n" + "\n".join(f"  {n}" for n in self.notes))
        if self.diagnosis is not None:
            parts.append(str(self.diagnosis))
        return "\n\n".join(parts)

    def to_html(self) -> str:
        """HTML of each table, its formula as MathML, the notes, the diagnosis (notebooks)."""
        from cnnexplain._render.code import code_html  # noqa: PLC0415

        return code_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready data."""
        return {
            "models": [b.to_dict() for b in self.models],
            "notes": [n.to_dict() for n in self.notes],
            "output": self.output,
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
        }


def _line_of(err: BaseException) -> int | None:
    """The innermost line of the user's code in the error's traceback."""
    if isinstance(err, SyntaxError) and err.filename == FILENAME:
        return err.lineno
    line = None
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == FILENAME:
            line = lineno
    return line


def _sentence(err: BaseException) -> str:
    if isinstance(err, SystemExit):
        status = "" if err.code is None else f"({err.code!r})"
        return (
            f"the code exits (SystemExit{status}); explain_code runs it to build its models "
            "and does not exit, so remove the call to sys.exit(), exit() or quit()"
        )
    if isinstance(err, KeyboardInterrupt):
        return "the code was interrupted (KeyboardInterrupt) before it finished"
    if isinstance(err, SyntaxError):
        return f"the code is not valid Python: {err.msg}"
    if isinstance(err, CnnexplainError):
        return str(err).rstrip(".")
    if isinstance(err, ModuleNotFoundError):
        return (
            f"module '{err.name}' is not available here; the code may import keras (or "
            "tensorflow.keras), torch (torch.nn, torch.nn.functional, torchinfo) and the "
            "standard library"
        )
    return f"{type(err).__name__}: {err}".rstrip(".")


def _code_error(err: BaseException, lines: Sequence[str], line: int | None = None) -> CodeError:
    line = line if line is not None else _line_of(err)
    text = lines[line - 1].strip() if line and line <= len(lines) else ""
    where = f"Line {line}: " if line else ""
    sentence = _sentence(err)
    end = "" if sentence.endswith(("?", "!")) else "."
    return CodeError(f"{where}{sentence}{end}", line=line, code=text)


def _no_model(namespace: dict[str, Any]) -> str:
    defined = [
        name
        for name, value in namespace.items()
        if isinstance(value, types.FunctionType) and value.__code__.co_filename == FILENAME
    ]
    if defined:
        return (
            f"The code builds no model: it defines {', '.join(f'{n}()' for n in defined)} "
            f"but never calls it; add a line such as model = {defined[-1]}()."
        )
    return (
        "The code builds no model: create one with keras.Sequential or keras.Model "
        "(or, in PyTorch, nn.Sequential or a subclass of nn.Module)."
    )


TORCH_TOPS = ("torch", "torchinfo", "torchsummary", "torchvision", "torchtext", "torchaudio")
"""The top-level imports that make code PyTorch code (the stand-in answers each)."""


class _Torch:
    """The PyTorch stand-in, loaded when the code first imports torch (Keras code never needs it).

    Loading it on demand keeps it out of the playground's start-up snapshot, whose
    memory must stay within what Pyodide restores it into.
    """

    def __init__(self) -> None:
        self.front: Any = None
        self.run: Any = None
        self.tree: dict[str, Any] = {}
        self.token: Any = None

    def imported(self, name: str, fromlist: Sequence[str] | None) -> Any:
        if self.front is None:
            from cnnexplain._explain_code import torch_front  # noqa: PLC0415 - on demand, above

            self.front, self.run, self.tree = torch_front, torch_front.TorchRun(), {}
            self.tree = torch_front.build_tree()
            self.token = torch_front.RUN.set(self.run)
        return self.front.imported(self.tree, name, fromlist)

    def close(self) -> None:
        if self.token is not None:
            self.front.RUN.reset(self.token)
            self.token = None

    def models(self) -> list[tuple[int, Any]]:
        return [] if self.front is None else list(self.front.models(self.run))

    def explain(self, module: Any) -> Breakdown:
        explained: Breakdown = self.front.explain_module(module)
        return explained


def _explained(session: front.Session, torch: _Torch, lines: Sequence[str]) -> list[Breakdown]:
    """Every model the code built, Keras's and PyTorch's, in the order of their lines."""
    built: list[tuple[int, bool, Any]] = [
        (line, False, model)
        for line, model in session.models
        if not (isinstance(model, front.Sequential) and not model.stack)  # never filled
    ]
    built += [(line, True, module) for line, module in torch.models()]
    models = []
    for line, is_torch, model in sorted(built, key=lambda item: item[0]):
        try:
            models.append(torch.explain(model) if is_torch else model.explain())
        except CnnexplainError as err:  # noqa: PERF203 - the failing model's line
            raise _code_error(err, lines, line) from None
    return models


def _import_hook(real_import: Any, torch: _Torch) -> Any:
    """An ``__import__`` serving Keras's and PyTorch's stand-ins, other modules as usual."""
    keras_import = front.import_hook(front.build_tree(), real_import)

    def hooked(
        name: str,
        globals: dict[str, Any] | None = None,  # noqa: A002 - __import__'s own names
        locals: dict[str, Any] | None = None,  # noqa: A002
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> Any:
        if level == 0 and name.split(".", 1)[0] in TORCH_TOPS:
            return torch.imported(name, fromlist)
        return keras_import(name, globals, locals, fromlist, level)

    return hooked


def explain_code(
    source: str,
    *,
    running: Sequence[int] | None = None,
    per_layer: Sequence[int] | None = None,
) -> CodeResult:
    r"""Run Keras or PyTorch model-building code without either and explain every model it builds.

    The code sees Keras: ``import keras``, ``from keras.layers import Conv2D``,
    ``from tensorflow.keras... import``, ``import tensorflow as tf; tf.keras...``,
    ``keras.Input``, the functional API, ``Sequential()`` with ``.add()`` and
    ``input_shape=`` on the first layer. These resolve to module objects backed
    by `cnnexplain.spec` (a scoped import hook: the real ``sys.modules`` is not
    touched). ``model.summary()`` prints cnnexplain's table, ``count_params()``
    and ``output_shape`` answer as Keras does, and ``compile()``, ``fit()`` and
    the optimizers are accepted without training.

    Where Keras 3 would reject a call (``SGD(lr=0.01)``, ``compile(metric=...)``)
    the real run would stop; here it is recorded as a `KerasNote` with Keras's
    own message and the run goes on, so the learner still sees what the code
    builds. Layers or calls cnnexplain cannot model, and code that fails, raise
    `CodeError` naming the line.

    Code that imports ``torch`` sees PyTorch instead: ``torch``, ``torch.nn``,
    ``torch.nn.functional`` and ``torchinfo``, whose tensors hold shapes only.
    ``nn.Sequential``, ``nn.Module`` subclasses with ``forward``, the usual layers,
    ``x.view``, ``torch.cat``, ``model(torch.randn(...))``, ``print(model)``,
    ``model.parameters()`` and ``torchinfo.summary`` work as in torch. Each layer is
    counted by the same torch rule, with the same shape arithmetic, as
    ``cnnexplain.explain(module, input_size=...)`` on the real module; the shapes
    are those of each module's first forward pass from the code (a model never
    run is counted from its arguments). Models are the modules no other module
    holds that the code runs or that hold parameters (a loss is not one).

    This executes ``source`` with the full power of Python: it is for the user's
    own code, in the user's own interpreter or browser (the playground page runs
    it in the reader's browser with Pyodide). Never use it on code from elsewhere
    in a server-side build.

    Args:
        source: the Python code, as typed.
        running: a hand count as running totals, as `diagnose` takes it.
        per_layer: a hand count as one count per layer, as `diagnose` takes it.

    Returns:
        The `CodeResult`: each model's `Breakdown`, the notes, the printed
        output and, with a hand count, the `Diagnosis` of the last model.

    Raises:
        CodeError: a syntax error, a layer or call that cannot be modeled, a
            failing line, or no model built at all.
        DiagnosisError: if the hand count cannot be read (as `diagnose`).

    Examples:
        >>> import cnnexplain
        >>> code = '''
        ... from keras.models import Sequential
        ... from keras.layers import Dense
        ... from keras.optimizers import SGD
        ... model = Sequential()
        ... model.add(Dense(10, input_shape=(4,)))
        ... model.compile(optimizer=SGD(lr=0.01), loss="mse")
        ... '''
        >>> result = cnnexplain.explain_code(code, running=[40])
        >>> result.breakdown.total
        50
        >>> for note in result.notes:
        ...     print(note)  # doctest: +ELLIPSIS
        Line 6: Keras 3 warns: UserWarning: Do not pass an `input_shape`/`input_dim` argument...
        Line 7: Keras 3 stops here: ValueError: Argument(s) not recognized: ... The fix: ...
        >>> result.diagnosis.findings[0].kind.value
        'missing_bias'
        >>> cnnexplain.explain_code("import keras\nkeras.layers.Conv2d(8, 3)")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        cnnexplain.CodeError: Line 2: keras.layers has no layer 'Conv2d' ...; did you mean Conv2D?

        PyTorch code, recognised by its imports:

        >>> torch_code = '''
        ... import torch
        ... from torch import nn
        ... model = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 1))
        ... print(model(torch.randn(2, 4)).shape)
        ... '''
        >>> result = cnnexplain.explain_code(torch_code)
        >>> result.breakdown.total, result.breakdown.output_shapes
        (61, ((2, 1),))
        >>> result.output
        'torch.Size([2, 1])\n'
    """
    if not isinstance(source, str):
        raise CodeError(
            "explain_code() takes the code as a string (str). "
            f"Received: source of type {type(source).__name__}."
        )
    lines = source.splitlines()
    try:
        code = compile(source, FILENAME, "exec", dont_inherit=True)
    except SyntaxError as err:
        raise _code_error(err, lines) from None

    session = front.Session()

    def captured_print(*args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("file", session.out)
        print(*args, **kwargs)  # noqa: T201 - the user's print, into the result

    own_builtins = dict(vars(builtins))
    torch = _Torch()
    own_builtins["__import__"] = _import_hook(builtins.__import__, torch)
    own_builtins["print"] = captured_print
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": own_builtins}
    with front.active(session), contextlib.closing(torch):
        try:
            exec(code, namespace)  # noqa: S102 - the user's own code, see the docstring
        except (Exception, SystemExit, KeyboardInterrupt) as err:  # noqa: BLE001 - every failure
            # of the user's code becomes one sentence; exit() or Ctrl-C in it never ends the caller
            raise _code_error(err, lines) from None
        models = _explained(session, torch, lines)
    if not models:
        raise CodeError(_no_model(namespace))
    diagnosis = None
    if running is not None or per_layer is not None:
        diagnosis = diagnose(models[-1], running=running, per_layer=per_layer)
    return CodeResult(tuple(models), tuple(session.notes), session.out.getvalue(), diagnosis)


_publish(globals())
