r"""Formulas as values: a small expression tree that evaluates to a parameter count.

A formula is built from named numbers (`Term`), sums, products and exact
quotients. It evaluates to an ``int`` and renders three ways: with the numbers
(``(3·3·1+1)·32``), with the symbols (``(k_h·k_w·C_in+1)·F``) and as LaTeX.
The compact rendering drops factors equal to 1, as the classic hand
explanation does (``(3·3+1)·32``).

Examples:
    >>> from cnnexplain._formula import Term
    >>> k_h, k_w, c_in, f = Term(3, "k_h"), Term(3, "k_w"), Term(1, "C_in"), Term(32, "F")
    >>> conv = (k_h * k_w * c_in + 1) * f
    >>> int(conv)
    320
    >>> str(conv)
    '(3·3·1+1)·32'
    >>> conv.symbols()
    '(k_h·k_w·C_in+1)·F'
    >>> conv.text(compact=True)
    '(3·3+1)·32'
    >>> conv.latex()
    '(3 \\cdot 3 \\cdot 1 + 1) \\cdot 32'
    >>> conv.latex(symbols=True)
    '(k_{h} \\cdot k_{w} \\cdot C_{\\mathrm{in}} + 1) \\cdot F'
    >>> Term(5408).mathml()
    '<mn>5408</mn>'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Union

from cnnexplain import _publish

__all__ = ["Formula", "Named", "Product", "Quotient", "Sum", "Term", "as_formula", "total_of"]

_Style = Literal["text", "symbols", "latex", "latex_symbols", "mathml"]
_Operand = Union["Formula", int]


def _latex_symbol(symbol: str) -> str:
    r"""A symbol in LaTeX: a letter's subscript as one, an argument name upright.

    Examples:
        >>> [_latex_symbol(s) for s in ("F", "k_h", "C_in", "units")]
        ['F', 'k_{h}', 'C_{\\mathrm{in}}', '\\mathrm{units}']
        >>> [_latex_symbol(s) for s in ("in_channels", "(num_layers−1)")]
        ['\\mathrm{in\\_channels}', '\\mathrm{(num\\_layers−1)}']
    """
    base, sep, sub = symbol.partition("_")
    if sep and len(base) == 1 and sub.isalnum():  # k_h, C_in: a letter and its subscript
        sub = sub if len(sub) == 1 else rf"\mathrm{{{sub}}}"
        return f"{base}_{{{sub}}}"
    if len(symbol) == 1:
        return symbol
    return r"\mathrm{" + symbol.replace("_", r"\_") + "}"  # torch's names: in_channels


class Formula:
    """Base of the expression tree; use `Term`, `+`, `*` and `Quotient` to build one."""

    __slots__ = ()

    def evaluate(self) -> int:
        """The count this formula gives."""
        raise NotImplementedError

    def _render(self, style: _Style, *, compact: bool) -> str:
        raise NotImplementedError

    def text(self, *, compact: bool = False) -> str:
        """The formula with numbers, e.g. ``(3·3·1+1)·32``; compact drops factors of 1."""
        return self._render("text", compact=compact)

    def symbols(self) -> str:
        """The formula with symbols, e.g. ``(k_h·k_w·C_in+1)·F``."""
        return self._render("symbols", compact=False)

    def latex(self, *, symbols: bool = False, compact: bool = False) -> str:
        """The formula as LaTeX math (without delimiters)."""
        return self._render("latex_symbols" if symbols else "latex", compact=compact)

    def mathml(self, *, compact: bool = False) -> str:
        """The formula with numbers as Presentation MathML (the content of a ``<math>``).

        Examples:
            >>> (Term(3) * Term(3) + 1).mathml()
            '<mn>3</mn><mo>·</mo><mn>3</mn><mo>+</mo><mn>1</mn>'
        """
        return self._render("mathml", compact=compact)

    def __int__(self) -> int:
        return self.evaluate()

    def __index__(self) -> int:
        return self.evaluate()

    def __str__(self) -> str:
        return self.text()

    def __add__(self, other: _Operand) -> Sum:
        return Sum((*_terms(self), *_terms(as_formula(other))))

    def __radd__(self, other: _Operand) -> Sum:
        return as_formula(other) + self

    def __mul__(self, other: _Operand) -> Product:
        return Product((*_factors(self), *_factors(as_formula(other))))

    def __rmul__(self, other: _Operand) -> Product:
        return as_formula(other) * self


def as_formula(value: _Operand) -> Formula:
    """Wrap a plain ``int`` as an unnamed `Term`; formulas pass through."""
    if isinstance(value, Formula):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a formula is built from ints and formulas. Received: {value!r}")
    return Term(value)


def _terms(f: Formula) -> tuple[Formula, ...]:
    return f.terms if isinstance(f, Sum) and not f.spaced else (f,)


def _factors(f: Formula) -> tuple[Formula, ...]:
    return f.factors if isinstance(f, Product) else (f,)


@dataclass(frozen=True, slots=True)
class Term(Formula):
    """A number, optionally named by a symbol (``Term(3, "k_h")``)."""

    value: int
    symbol: str | None = None

    def evaluate(self) -> int:
        """The number itself."""
        return self.value

    def _render(self, style: _Style, *, compact: bool) -> str:  # noqa: ARG002
        if style == "symbols" and self.symbol:
            return self.symbol
        if style == "latex_symbols" and self.symbol:
            return _latex_symbol(self.symbol)
        return f"<mn>{self.value}</mn>" if style == "mathml" else str(self.value)

    def __repr__(self) -> str:
        return f"Term({self.value}, {self.symbol!r})" if self.symbol else f"Term({self.value})"


@dataclass(frozen=True, slots=True)
class Sum(Formula):
    """A sum of terms; ``spaced`` sums (model totals) render as ``a + b``."""

    terms: tuple[Formula, ...]
    spaced: bool = False

    def evaluate(self) -> int:
        """The sum of the terms."""
        return sum(t.evaluate() for t in self.terms)

    def _render(self, style: _Style, *, compact: bool) -> str:
        if not self.terms:
            return "0"
        plus = " + " if self.spaced or style.startswith("latex") else "+"
        plus = "<mo>+</mo>" if style == "mathml" else plus
        return plus.join(t._render(style, compact=compact) for t in self.terms)  # noqa: SLF001

    def __repr__(self) -> str:
        return f"Sum({self.text()!r}, spaced={self.spaced})"


@dataclass(frozen=True, slots=True)
class Product(Formula):
    """A product of factors; sums among them are parenthesized."""

    factors: tuple[Formula, ...]

    def evaluate(self) -> int:
        """The product of the factors."""
        return math.prod(f.evaluate() for f in self.factors)

    def _render(self, style: _Style, *, compact: bool) -> str:
        factors = self.factors
        if compact and style in ("text", "latex", "mathml"):
            kept = tuple(f for f in factors if f.evaluate() != 1)
            factors = kept or (Term(1),)
        dot = r" \cdot " if style.startswith("latex") else "·"
        dot = "<mo>·</mo>" if style == "mathml" else dot
        left, right = ("<mo>(</mo>", "<mo>)</mo>") if style == "mathml" else ("(", ")")
        parts = []
        for f in factors:
            inner = f._render(style, compact=compact)  # noqa: SLF001
            needs_parens = (isinstance(f, Sum) and len(f.terms) > 1) or isinstance(f, Quotient)
            parts.append(f"{left}{inner}{right}" if needs_parens else inner)
        return dot.join(parts)

    def __repr__(self) -> str:
        return f"Product({self.text()!r})"


@dataclass(frozen=True, slots=True)
class Quotient(Formula):
    """An exact integer quotient, e.g. input channels per group ``C_in/g``."""

    numerator: Formula
    denominator: Formula

    def __post_init__(self) -> None:
        n, d = self.numerator.evaluate(), self.denominator.evaluate()
        if d == 0 or n % d:
            raise ValueError(f"{n} is not divisible by {d}")

    def evaluate(self) -> int:
        """The exact quotient."""
        return self.numerator.evaluate() // self.denominator.evaluate()

    def _render(self, style: _Style, *, compact: bool) -> str:
        n = self.numerator._render(style, compact=compact)  # noqa: SLF001
        d = self.denominator._render(style, compact=compact)  # noqa: SLF001
        return f"{n}<mo>/</mo>{d}" if style == "mathml" else f"{n}/{d}"

    def __repr__(self) -> str:
        return f"Quotient({self.text()!r})"


@dataclass(frozen=True, slots=True)
class Named(Formula):
    r"""A formula named as a whole: a weight's size, ``pos_emb`` for ``64·128``.

    With numbers it renders its inside; with symbols, its name.

    Examples:
        >>> pos = Named("pos_emb", Term(64) * Term(128))
        >>> int(pos), str(pos), pos.symbols(), pos.latex(symbols=True)
        (8192, '64·128', 'pos_emb', '\\mathrm{pos\\_emb}')
    """

    name: str
    inner: Formula

    def evaluate(self) -> int:
        """The inside's value."""
        return self.inner.evaluate()

    def _render(self, style: _Style, *, compact: bool) -> str:
        if style == "symbols":
            return self.name
        if style == "latex_symbols":
            return r"\mathrm{" + self.name.replace("_", r"\_") + "}"
        return self.inner._render(style, compact=compact)  # noqa: SLF001

    def __repr__(self) -> str:
        return f"Named({self.name!r}, {self.inner!r})"


def total_of(formulas: list[Formula]) -> Sum:
    """The spaced sum of the non-zero formulas, each in compact form.

    Examples:
        >>> a = (Term(3) * Term(3) * Term(1) + 1) * Term(32)
        >>> b = (Term(5408) + 1) * Term(100)
        >>> str(total_of([a, Term(0), b]))
        '(3·3+1)·32 + (5408+1)·100'
    """
    terms: list[Formula] = []
    for f in formulas:
        if f.evaluate() == 0:
            continue
        if isinstance(f, Sum) and f.spaced:
            terms.extend(f.terms)
        else:
            terms.append(_Compact(f))
    return Sum(tuple(terms), spaced=True)


@dataclass(frozen=True, slots=True)
class _Compact(Formula):
    """A formula that always renders in compact form (used in model totals)."""

    inner: Formula

    def evaluate(self) -> int:
        return self.inner.evaluate()

    def _render(self, style: _Style, *, compact: bool) -> str:  # noqa: ARG002
        return self.inner._render(style, compact=True)  # noqa: SLF001

    def __repr__(self) -> str:
        return f"Compact({self.inner!r})"


_publish(globals())
