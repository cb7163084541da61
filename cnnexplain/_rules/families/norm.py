"""Normalizations: a few vectors of the normalized length, and MACs per output element.

BatchNormalization-like layers hold per-channel vectors: γ and β (trainable)
and, in Keras, the moving mean and variance (non-trainable weights), so Keras
counts ``4·C`` where torch, keeping its running statistics as buffers, counts
``2·C``. At inference a batch normalization is ``a·x + b`` per channel: 1 MAC
per output element; a per-example normalization (layer, group, instance, RMS)
first computes its statistics: 2.

Examples:
    >>> from cnnexplain._formula import Term
    >>> vectors(4, Term(64, "C")).symbols(), int(vectors(2, Term(64, "num_features")))
    ('4·C', 128)
    >>> str(elementwise_macs((None, 26, 26, 32), 2))
    '2·26·26·32'
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnexplain._formula import Formula, Product, Term
from cnnexplain._rules.protocol import Weight
from cnnexplain._shapes import Shape

__all__ = ["affine", "elements", "elementwise_macs", "vectors"]


def vectors(count: int, length: Formula, *, count_one: bool = False) -> Formula:
    """``count·C``: ``count`` vectors of the normalized length.

    One vector is ``C`` alone, or ``1·C`` with ``count_one`` (as Keras's rules write it).
    """
    if count == 0:
        return Term(0)
    return length if count == 1 and not count_one else Term(count) * length


def affine(
    names: Sequence[str], length: Formula, shape: tuple[int, ...], *, count_one: bool = False
) -> tuple[Formula, tuple[Weight, ...]]:
    """The scale and shift vectors a normalization holds, each of ``shape``, and their count.

    Keras names them ``gamma`` and ``beta``, torch ``weight`` and ``bias``; the
    count is the same: one ``C`` per vector held (`vectors`).

    Examples:
        >>> f, w = affine(("weight", "bias"), Term(64, "num_channels"), (64,))
        >>> f.symbols(), [x.name for x in w]
        ('2·num_channels', ['weight', 'bias'])
    """
    weights = tuple(Weight(name, shape) for name in names)
    return vectors(len(names), length, count_one=count_one), weights


def elements(shape: Shape) -> Formula | None:
    """The number of elements of one example (the axes after the batch axis), or None."""
    dims = shape[1:]
    if any(d is None for d in dims):
        return None
    terms = [Term(d or 0) for d in dims]
    if not terms:
        return Term(1)
    return terms[0] if len(terms) == 1 else Product(tuple(terms))


def elementwise_macs(shape: Shape, per_element: int) -> Formula | None:
    """``per_element`` MACs for each element of one example's output."""
    count = elements(shape)
    if count is None or per_element == 1:
        return count
    return Term(per_element) * count
