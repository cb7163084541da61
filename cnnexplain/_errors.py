"""The exceptions cnnexplain raises, all under one base.

```
CnnexplainError
├── SpecError           an invalid model description (spec, config or file)
├── VerificationError   a computed figure disagrees with Keras or PyTorch
├── DiagnosisError      a hand count that cannot be read
├── ModelFileError      a saved model file that cannot be read
└── CodeError           Keras code that explain_code cannot run or model
```

Each carries the context it names (layer, argument, file) as attributes, and
its message is one sentence: what is wrong, where, what was expected, and
``Received: ...``.
"""

from __future__ import annotations

from cnnexplain import _publish

__all__ = [
    "CnnexplainError",
    "CodeError",
    "DiagnosisError",
    "ModelFileError",
    "SpecError",
    "VerificationError",
]


class CnnexplainError(Exception):
    """Base class of every error cnnexplain raises on bad input."""


class SpecError(CnnexplainError, ValueError):
    """A model description is invalid: the message names the layer and argument.

    Attributes:
        layer: the layer's name, or ``None`` when the model as a whole is wrong.
        argument: the argument at fault, or ``None``.
    """

    def __init__(
        self, message: str, *, layer: str | None = None, argument: str | None = None
    ) -> None:
        super().__init__(message)
        self.layer = layer
        self.argument = argument


class VerificationError(CnnexplainError, AssertionError):
    """A computed figure disagrees with the one Keras (or PyTorch) reports.

    Attributes:
        layer: the layer's name.
        what: which figure (``"params"``, ``"trainable"``, ``"output_shape"``...).
        expected: what Keras reports.
        got: what cnnexplain computed.
    """

    def __init__(
        self, layer: str, what: str, expected: object, got: object, *, framework: str = "Keras"
    ) -> None:
        super().__init__(
            f"Layer '{layer}': cnnexplain computed {what} {got!r} but {framework} reports "
            f"{expected!r}."
        )
        self.layer = layer
        self.what = what
        self.expected = expected
        self.got = got


class DiagnosisError(CnnexplainError, ValueError):
    """A hand count given to `diagnose` cannot be read or aligned with the layers.

    Attributes:
        argument: the argument at fault (``"running"`` or ``"per_layer"``).
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class ModelFileError(CnnexplainError, ValueError):
    """A saved model file (``.keras`` archive or JSON config) cannot be read.

    Missing, not a zip, truncated, without ``config.json``, too large to be a
    config, or holding weights whose shapes disagree with the config.

    Attributes:
        path: the file, as given.
        layer: the layer at fault, or ``None`` when the file as a whole is wrong.
    """

    def __init__(self, message: str, *, path: str, layer: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.layer = layer


class CodeError(CnnexplainError, ValueError):
    """Keras or PyTorch code given to `explain_code` cannot be run or modeled, at one line of it.

    The message is one sentence starting with the line, e.g. ``Line 4: keras.layers
    has no layer 'Conv2d' that cnnexplain can model; did you mean Conv2D?``.

    Attributes:
        line: the line of the user's code (from 1), or ``None`` when no line is at fault.
        code: the text of that line, stripped (``""`` without a line).
    """

    def __init__(self, message: str, *, line: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.code = code


_publish(globals())
