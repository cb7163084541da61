"""What a rule is and how it reads a layer's arguments (the registry is `registry`).

A rule takes a layer's Keras-format config (as ``layer.get_config()`` gives it,
read through `LayerArgs`) and its input shapes, and returns an `Explained`: the
formula of the parameter count, the weights it implies, the output shapes and
the arithmetic behind them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnnexplain._errors import SpecError
from cnnexplain._formula import Formula, Term
from cnnexplain._shapes import Shape, Weight

__all__ = [
    "NO_MACS",
    "Explained",
    "Family",
    "LayerArgs",
    "NoRule",
    "Rule",
    "SlidingWindow",
    "Weight",
    "channel_axis",
    "fmt_shape",
    "zero",
]


class Family(enum.Enum):
    """The family of math a rule read a layer onto, for readers that ask what a layer is.

    Drawings, the shape-mistake search and the hand-figure candidates read this
    (and the `SlidingWindow`) instead of matching class names, so a new kind, or a
    subclass a framework names differently, is recognised by its rule.
    """

    DENSE = "dense"
    """One weight matrix over the last axis (Keras's Dense, torch's Linear)."""
    CONV = "convolution"
    """Every filter sees all of its group's input channels."""
    DEPTHWISE = "depthwise convolution"
    """One filter per input channel (and separable convolutions' first step)."""
    TRANSPOSED = "transposed convolution"
    POOL = "pooling"
    GLOBAL_POOL = "global pooling"
    """One value per channel over every spatial axis."""
    BATCH_NORM = "batch normalization"
    NORM = "normalization"
    """Layer, group, RMS and unit normalizations: statistics of each example."""
    RECURRENT = "recurrent"
    """A recurrent layer over a sequence (torch's input is sequence first by default)."""
    RECURRENT_CELL = "recurrent cell"
    """One step of a recurrent layer."""
    ATTENTION = "attention"
    FLATTEN = "flatten"
    """All non-batch axes into one: the vector a dense layer then reads."""


@dataclass(frozen=True, slots=True)
class SlidingWindow:
    """A convolution's or pooling's window over the spatial axes of its input, as data.

    Examples:
        >>> w = SlidingWindow((3, 3), (1, 1), (1, 1), "valid", axes=(1, 2))
        >>> w.rank, w.pad(0)
        (2, 0)
    """

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str
    """``"valid"``, ``"same"``, ``"causal"`` or ``"explicit"`` (torch's ``padding=p``)."""
    axes: tuple[int, ...]
    """The position of each spatial axis in the input shape (the batch axis is 0)."""
    pads: tuple[int, ...] = ()
    """Explicit padding added on each side of each axis (torch), else empty."""
    ceil: bool = False
    """Output lengths rounded up (torch's ``ceil_mode=True``)."""

    @property
    def rank(self) -> int:
        """The number of spatial axes."""
        return len(self.kernel)

    def pad(self, axis: int) -> int:
        """The padding on each side of spatial axis ``axis`` (0 unless explicit)."""
        return self.pads[axis] if self.pads else 0


@dataclass(frozen=True, slots=True)
class Explained:
    """What a rule finds for one call of a layer."""

    formula: Formula
    weights: tuple[Weight, ...]
    outputs: tuple[Shape, ...]
    shape_steps: tuple[str, ...] = ()
    note: str = ""
    trainable: int | None = None
    """Trainable count when known from outside (a layer without rule); else from weights."""
    explained: bool = True
    """False when no rule gave this result (the count was measured, not derived)."""
    macs: Formula | None = None
    """Multiply-accumulates of one call, when the rule's family computes them."""
    buffers: tuple[Weight, ...] = ()
    """State tensors that are not parameters (torch buffers: BatchNorm running statistics)."""
    family: Family | None = None
    """The family of math the rule read the layer onto, where readers need to know it."""
    window: SlidingWindow | None = None
    """A convolution's or pooling's sliding window."""


class LayerArgs:
    """A layer's config, read with validation that names the layer and the argument."""

    def __init__(self, name: str, class_name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.class_name = class_name
        self.config = config

    def error(self, argument: str | None, message: str, received: object = None) -> SpecError:
        """A `SpecError` whose message starts with the layer and ends with what was received."""
        where = f"Layer '{self.name}' ({self.class_name})"
        tail = f" Received: {argument}={received!r}." if argument is not None else ""
        return SpecError(f"{where}: {message}.{tail}", layer=self.name, argument=argument)

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value of ``key``, or ``default`` when the config lacks it."""
        return self.config.get(key, default)

    def integer(self, key: str, default: int | None = None, *, minimum: int = 1) -> int:
        """An integer argument no smaller than ``minimum``."""
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"'{key}' must be an integer", value)
        if value < minimum:
            raise self.error(key, f"'{key}' must be at least {minimum}", value)
        return value

    def integers(
        self, key: str, rank: int, default: Any = None, *, minimum: int = 1
    ) -> tuple[int, ...]:
        """An int or a tuple of ``rank`` ints (Keras accepts both), each ``>= minimum``."""
        given = self.config.get(key, default)
        value = given
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value,) * rank
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != rank:
            raise self.error(key, f"'{key}' must be an integer or {rank} integers", given)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in value):
            raise self.error(key, f"'{key}' must hold integers of at least {minimum}", given)
        return tuple(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        """A boolean argument."""
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"'{key}' must be True or False", value)
        return value

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        """A string argument among ``options`` (case-insensitive, as Keras reads them)."""
        value = self.config.get(key, default)
        if not isinstance(value, str) or value.lower() not in options:
            raise self.error(key, f"'{key}' must be one of {', '.join(map(repr, options))}", value)
        return value.lower()

    def known(self, shape: Shape, axis: int, what: str) -> int:
        """The length of ``shape[axis]``, which must be known to count parameters."""
        value = shape[axis]
        if value is None:
            raise self.error(
                None, f"the {what} (axis {axis} of input shape {fmt_shape(shape)}) must be known"
            )
        return value


Rule = Callable[[LayerArgs, list[Shape]], Explained]
"""A rule: a layer's arguments and input shapes in, what they imply out."""


class NoRule(Exception):  # noqa: N818 - it names a situation, not an error of the user
    """Raised by a rule for a case it does not cover (a wrapped layer without rule...).

    The layer is then counted like one without rule: from Keras, flagged unexplained.
    ``macs`` are its MACs when they don't depend on what the rule cannot read (a
    quantized Embedding is still a lookup).
    """

    def __init__(self, what: str, *, macs: Formula | None = None) -> None:
        super().__init__(f"no rule for {what}")
        self.what = what
        self.macs = macs


def fmt_shape(shape: Shape) -> str:
    """``(None, 26, 26, 32)`` as Keras prints it."""
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def channel_axis(args: LayerArgs) -> int:
    """-1 for ``channels_last`` (the default), 1 for ``channels_first``."""
    if args.get("data_format") is None:
        return -1
    fmt = args.choice("data_format", ("channels_last", "channels_first"), "channels_last")
    return -1 if fmt == "channels_last" else 1


NO_MACS = Term(0)
"""The MACs of a layer that only moves, compares or adds values (costs conventions)."""


def zero(
    outputs: tuple[Shape, ...],
    steps: tuple[str, ...] = (),
    note: str = "",
    *,
    macs: Formula | None = NO_MACS,
    family: Family | None = None,
    window: SlidingWindow | None = None,
) -> Explained:
    """The result for a layer without weights: 0 MACs unless ``macs`` says otherwise.

    Pass ``macs=None`` where the work is real but not counted (an interpolating resize).
    """
    return Explained(Term(0), (), outputs, steps, note, macs=macs, family=family, window=window)
