"""Contractions (EinsumDense, Dot): MACs are the product of every index's length.

An einsum ``"abc,cd->abd"`` does one multiply-accumulate per combination of
its distinct letters' lengths; the batch letter counts 1 (MACs are per example)
and lengths of 1 are left out. A Dot of two tensors does, for each output
element, one per element of the contracted axis.

Examples:
    >>> str(einsum_macs("abc,cd->abd", (None, 7, 12), (None, 7, 100)))
    '7·12·100'
    >>> dot_macs((None, 3), 8).symbols()
    '3·n'
"""

from __future__ import annotations

import re

from cnnexplain._formula import Formula, Product, Term
from cnnexplain._shapes import Shape

__all__ = ["dot_macs", "einsum_macs"]

_EINSUM = r"^([a-zA-Z.]+),([a-zA-Z]+)->([a-zA-Z.]+)$"  # compiled by re on first use


def _product(dims: list[tuple[int | None, str | None]]) -> Formula | None:
    """The product of named lengths, or None when one is unknown."""
    if any(v is None for v, _ in dims):
        return None
    terms = [Term(v, s) for v, s in dims if v is not None]
    if not terms:
        return Term(1)
    return terms[0] if len(terms) == 1 else Product(tuple(terms))


def _letter_sizes(letters: str, shape: Shape) -> tuple[dict[str, int | None], list[int | None]]:
    """Sizes of an einsum operand's letters and of the axes its ellipsis covers."""
    if "..." in letters:
        before, after = letters.split("...")
        n_ell = len(shape) - len(before) - len(after)
        ellipsis = list(shape[len(before) : len(before) + n_ell])
        sizes = dict(zip(before, shape[: len(before)], strict=True))
        sizes.update(zip(after, shape[len(shape) - len(after) :], strict=True))
        return sizes, ellipsis
    if len(letters) != len(shape):
        raise ValueError(letters)
    return dict(zip(letters, shape, strict=True)), []


def einsum_macs(equation: str, shape: Shape, out: Shape) -> Formula | None:
    """The product of every index's length (the batch index counting 1): ``T·n_in·units``...

    None when the equation is not ``input,kernel->output`` or a length is unknown.
    """
    match = re.match(_EINSUM, equation.replace(" ", ""))
    if match is None:
        return None
    lhs, kernel, rhs = match.groups()
    try:
        sizes, ellipsis = _letter_sizes(lhs, (1, *shape[1:]))
        out_sizes, _ = _letter_sizes(rhs, (1, *out[1:]))
    except ValueError:
        return None
    for letter, size in out_sizes.items():
        sizes.setdefault(letter, size)
    if any(letter not in sizes for letter in kernel):
        return None
    dims: list[tuple[int | None, str | None]] = [(d, None) for d in ellipsis if d != 1]
    dims += [(sizes[x], x) for x in dict.fromkeys(lhs + kernel + rhs) if x != "." and sizes[x] != 1]
    return _product(dims)


def dot_macs(out: Shape, contracted: int | None) -> Formula | None:
    """Output elements (of one example) × the contracted length ``n``."""
    return _product([*((d, None) for d in out[1:]), (contracted, "n")])
