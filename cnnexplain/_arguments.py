"""Checks of the public functions' arguments: a wrong one is refused in one sentence.

Each check raises `SpecError` naming the function, the argument, what it takes and
what it received, as Keras words it (``Received: expand='yes'``).

Examples:
    >>> flag(True, "expand", "to_text()")
    True
    >>> flag("yes", "expand", "to_text()")
    Traceback (most recent call last):
    ...
    cnnexplain.SpecError: to_text(): expand must be True or False. Received: expand='yes'.
"""

from __future__ import annotations

from cnnexplain._errors import SpecError

__all__ = ["flag", "number", "optional_flag", "optional_text", "received"]


def received(value: object) -> str:
    """``repr(value)`` cut to one short line (an argument may be a whole model).

    Examples:
        >>> received("x" * 100)[-6:], len(received("x" * 100))
        ('xxx...', 80)
    """
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."  # noqa: PLR2004 - one line


def flag(value: object, name: str, where: str) -> bool:
    """``value`` if it is a bool, else `SpecError`."""
    if not isinstance(value, bool):
        raise SpecError(
            f"{where}: {name} must be True or False. Received: {name}={received(value)}.",
            argument=name,
        )
    return value


def optional_flag(value: object, name: str, where: str) -> bool | None:
    """``value`` if it is a bool or None, else `SpecError`."""
    if value is not None and not isinstance(value, bool):
        raise SpecError(
            f"{where}: {name} must be True, False or None. Received: {name}={received(value)}.",
            argument=name,
        )
    return value


def optional_text(value: object, name: str, where: str) -> str | None:
    """``value`` if it is a string or None, else `SpecError`."""
    if value is not None and not isinstance(value, str):
        raise SpecError(
            f"{where}: {name} must be a string or None. Received: {name}={received(value)} "
            f"of type {type(value).__name__}.",
            argument=name,
        )
    return value


def number(value: object, name: str, where: str) -> float:
    """``value`` if it is a real number from 0 on, else `SpecError`.

    Examples:
        >>> number(0.9, "momentum", "training_bytes()")
        0.9
    """
    import numbers  # noqa: PLC0415 - loaded by the costs' callers anyway

    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) >= 0:
        raise SpecError(
            f"{where}: {name} must be a number from 0 on. Received: {name}={received(value)}.",
            argument=name,
        )
    return float(value)
