"""The result of explaining a model: one `LayerRow` per layer, totals in `Breakdown`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnnexplain import _publish
from cnnexplain._formula import Formula, Sum, total_of
from cnnexplain._framework import Framework
from cnnexplain._rules.protocol import Family, SlidingWindow, Weight
from cnnexplain._shapes import Shape

if TYPE_CHECKING:
    from cnnexplain._costs import Costs
    from cnnexplain._render.summary_rows import SummaryRow

__all__ = ["Breakdown", "LayerRow"]


@dataclass(frozen=True)
class LayerRow:
    """One layer: its parameters, the formula giving them, its output shape and why.

    Attributes:
        name: the layer's name.
        kind: its Keras class name (``Conv2D``; ``Functional`` for a nested model).
        params: total parameters, ``int(formula)``.
        trainable: parameters updated by gradients (0 for a frozen layer).
        non_trainable: the rest (frozen layers, BatchNormalization statistics).
        output_shape: a shape tuple (``None`` for the batch axis), or a list of
            them for a layer with several outputs.
        formula: the `Formula` whose value is ``params``.
        shape_steps: the arithmetic of each output length, e.g. ``H: ⌊(28−3)/1⌋+1 = 26``.
        weights: the weight tensors the rule implies.
        children: the rows of a nested model.
        note: what a reader should know (shared layer, frozen, no rule...).
        explained: False when no rule covers the layer and its count comes from Keras.
        calls: how many times the layer is called (a shared layer counts once).
        input_shape: the shape(s) the layer receives.
        config: the layer's Keras-format config (arguments, dtype policy), as read;
            for a torch module, its constructor arguments as the module stores them.
        buffers: tensors the layer keeps that are not parameters (torch buffers such
            as BatchNorm's ``running_mean``): listed, never counted.
        macs: the MACs of one call when the rule gives them (its family computes them), else None
            and the costs module computes them from the kind and config.
        framework: whose argument names and conventions ``config`` holds.
        family: the family of math its rule read it onto (dense, convolution, pooling...),
            where a reader needs to know what the layer is; None otherwise.
        window: a convolution's or pooling's sliding window (kernel, strides, padding...).
        reuses: the path of the layer whose weights this one uses (tied or shared
            weights, counted once, in their owner's row); empty when it owns its weights.
        from_shapes: parameters of this row (not its children) counted only from a
            weight's shape, with no argument of the layer behind a dimension.
    """

    name: str
    kind: str
    params: int
    trainable: int
    non_trainable: int
    output_shape: Shape | list[Shape]
    formula: Formula
    shape_steps: tuple[str, ...] = ()
    weights: tuple[Weight, ...] = ()
    children: tuple[LayerRow, ...] = ()
    note: str = ""
    explained: bool = True
    calls: int = 1
    input_shape: Shape | list[Shape] = ()
    config: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    buffers: tuple[Weight, ...] = ()
    macs: Formula | None = field(default=None, repr=False, compare=False)
    framework: Framework = field(default=Framework.KERAS, repr=False, compare=False)
    family: Family | None = field(default=None, repr=False, compare=False)
    window: SlidingWindow | None = field(default=None, repr=False, compare=False)
    from_shapes: int = field(default=0, repr=False, compare=False)
    reuses: str = field(default="", repr=False, compare=False)

    def walk(self, prefix: str = "") -> Iterator[tuple[str, LayerRow]]:
        """This row and its descendants, each with its path (``outer/inner``)."""
        path = f"{prefix}{self.name}"
        yield path, self
        for child in self.children:
            yield from child.walk(f"{path}/")


@dataclass(frozen=True)
class Breakdown:
    """Per-layer parameter counts with formulas and shapes, and the model's totals.

    Rows follow ``model.layers`` (InputLayer excluded); totals are computed here,
    from the rows, so a layer shared by several calls counts once.
    """

    name: str
    rows: tuple[LayerRow, ...]
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] = ()
    expand: bool = False
    source: Any = field(default=None, repr=False, compare=False)
    _verifier: Callable[[Breakdown], None] | None = field(default=None, repr=False, compare=False)
    examples: int = field(default=1, repr=False, compare=False)
    """How many examples the recorded forward pass ran on (a torch input's batch): MACs per
    example divide the pass's MACs by it."""
    note: str = ""
    """What a reader should know about the whole breakdown (no input given: shapes unknown)."""

    @property
    def total(self) -> int:
        """All parameters, trainable or not."""
        return sum(r.params for r in self.rows)

    @property
    def trainable(self) -> int:
        """Parameters updated by gradients."""
        return sum(r.trainable for r in self.rows)

    @property
    def non_trainable(self) -> int:
        """Parameters not updated by gradients."""
        return sum(r.non_trainable for r in self.rows)

    @property
    def from_shapes(self) -> int:
        """Parameters counted only from a weight's shape, with no argument behind them.

        0 when every parameter has a formula from its layer's arguments (or from
        a block recognised by its weights); otherwise the parameters of the
        weights counted as the product of their shape (``pos_emb: 64·128``).
        """
        return sum(row.from_shapes for _, row in self.walk() if not row.children)

    @property
    def formula(self) -> Sum:
        """The compact model formula: one term per layer with parameters, factors of 1 dropped.

        Examples:
            >>> from cnnexplain import explain, spec
            >>> model = spec.Sequential([spec.Input((8, 8, 1)), spec.Conv2D(4, 3, name="c"),
            ...                          spec.Flatten(name="f"), spec.Dense(2, name="d")])
            >>> print(explain(model).formula)
            (3·3+1)·4 + (144+1)·2
        """
        return total_of([r.formula for r in self.rows])

    @property
    def unexplained(self) -> list[LayerRow]:
        """Rows (nested ones included) that no rule covers: their counts come from Keras."""
        return [row for _, row in self.walk() if not row.explained]

    def walk(self) -> Iterator[tuple[str, LayerRow]]:
        """Every row with its path, nested rows after their model's row."""
        for row in self.rows:
            yield from row.walk()

    def verify(self) -> None:
        """Compare every row and total with Keras (or PyTorch, for a torch module).

        Raises:
            VerificationError: naming the layer (a torch module by its path), the
                figure, the framework's value and ours.
            SpecError: if there is no Keras model to compare with.
        """
        if self._verifier is None:
            from cnnexplain._errors import SpecError  # noqa: PLC0415

            raise SpecError(f"Breakdown of '{self.name}' has no Keras model to verify against.")
        self._verifier(self)

    def _layout(
        self, expand: object, where: str, *, full_formula: object = False
    ) -> tuple[bool, bool]:
        """The renderers' options, checked; ``expand=None`` is the breakdown's own."""
        from cnnexplain._arguments import flag, optional_flag  # noqa: PLC0415

        chosen = optional_flag(expand, "expand", where)
        return (
            self.expand if chosen is None else chosen,
            flag(full_formula, "full_formula", where),
        )

    # Renderers live in _render/ (formats.RENDERERS: one per format); these delegate.
    def _render(
        self, fmt: str, where: str, *, expand: bool | None, full_formula: bool = False
    ) -> str:
        from cnnexplain._render.formats import RENDERERS, Format, Layout  # noqa: PLC0415

        expand, full_formula = self._layout(expand, where, full_formula=full_formula)
        return RENDERERS[Format(fmt)].breakdown(self, Layout(expand, full_formula))

    def to_text(self, *, expand: bool | None = None, full_formula: bool = False) -> str:
        """A table like ``model.summary()`` with formula and shape columns and the totals.

        A model formula wider than the table is shortened to its first and last
        terms, unless ``full_formula`` (then it wraps); identical notes are folded.
        """
        return self._render("text", "to_text()", expand=expand, full_formula=full_formula)

    def to_markdown(self, *, expand: bool | None = None, full_formula: bool = False) -> str:
        """The table in Markdown (a long model formula shortened unless ``full_formula``)."""
        return self._render("markdown", "to_markdown()", expand=expand, full_formula=full_formula)

    def to_latex(self, *, expand: bool | None = None) -> str:
        """A LaTeX ``tabular`` of the table plus the model formula."""
        return self._render("latex", "to_latex()", expand=expand)

    def to_svg(self, *, id_prefix: str | None = None) -> str:
        """The model drawn as an SVG volume diagram, with its alt text in ``<title>``/``<desc>``.

        A chain of layers is drawn as boxes scaled to each output's H×W×C
        (square roots of lengths, logarithms of channels), with the convolution
        and pooling windows, each output shape and parameter count; any other
        model (several inputs, branches, nested models) as a column of its layers.
        Text and strokes use ``currentColor``, so the drawing follows the page's
        light or dark colours.

        Args:
            id_prefix: prefix of the drawing's element ids, to keep them unique
                on a page with several drawings (default: ``cx-`` and the model name).
        """
        import re  # noqa: PLC0415

        from cnnexplain._arguments import optional_text, received  # noqa: PLC0415
        from cnnexplain._errors import SpecError  # noqa: PLC0415
        from cnnexplain._render.svg import svg  # noqa: PLC0415

        prefix = optional_text(id_prefix, "id_prefix", "to_svg()")
        if prefix is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", prefix):
            raise SpecError(
                "to_svg(): id_prefix must start with a letter and hold only letters, digits, "
                f"'-' and '_' (it starts element ids). Received: id_prefix={received(prefix)}.",
                argument="id_prefix",
            )
        return svg(self, id_prefix=prefix)

    def costs(
        self, dtype: str | None = None, *, batch_size: int | None = None, include_bias: bool = False
    ) -> Costs:
        """MACs per example, FLOPs, parameter, activation and training bytes, per row.

        Args:
            dtype: a Keras dtype policy (``"float32"``, ``"mixed_float16"``...) to assume
                for every layer; None reads each layer's own policy from its config.
            batch_size: None for MACs per example; a number of examples for MACs per
                batch of that size (``summary`` shows the input's batch, as torchinfo).
            include_bias: add one addition per bias element applied, as torchinfo
                counts them; by default only the products.

        Raises:
            SpecError: if ``dtype`` is not a policy cnnexplain knows or ``batch_size``
                is not a positive integer.
        """
        from cnnexplain._costs import costs_of  # noqa: PLC0415

        return costs_of(self, dtype, batch_size=batch_size, include_bias=include_bias)

    # torchinfo's names (`cnnexplain.summary` returns the Breakdown): what its users read.
    @property
    def total_params(self) -> int:
        """Torchinfo's name for `total`: every parameter, each tensor once."""
        return self.total

    @property
    def trainable_params(self) -> int:
        """Torchinfo's name for `trainable`."""
        return self.trainable

    @property
    def total_mult_adds(self) -> int:
        """MACs on torchinfo's basis: the whole input batch, bias additions included.

        ``costs(batch_size=..., include_bias=True).macs`` for the batch the model ran on;
        at least this many when a row's MACs are unknown (``costs().unknown_macs``).
        """
        return self.costs(batch_size=self.examples, include_bias=True).macs

    @property
    def summary_list(self) -> list[SummaryRow]:
        """One row per module, the model first, with torchinfo's ``LayerInfo`` attribute names."""
        from cnnexplain._render.summary_rows import summary_rows  # noqa: PLC0415

        return summary_rows(self)

    @property
    def input_size(self) -> list[list[int | None]]:
        """The shape of each input, batch included, as torchinfo lists them."""
        return [list(shape) for shape in self.input_shapes]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with every row (nested rows under ``children``) and the totals."""
        from cnnexplain._render.tables import to_dict  # noqa: PLC0415

        return to_dict(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self._render("html", "_repr_html_()", expand=None)


_publish(globals())
