"""Slips and typos: how a written number can be a miscopy or a misadded sum of the intended one."""

from __future__ import annotations

__all__ = ["one_place", "slip_detail", "typo_of"]


def one_place(difference: int) -> bool:
    """True if the difference is one digit's worth, d·10^j with 1 <= d <= 9."""
    a = abs(difference)
    if a == 0:
        return False
    while a % 10 == 0:
        a //= 10
    return a < 10  # noqa: PLR2004


def _same_length_typo(a: str, b: str, *, substitution: bool) -> str | None:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1 and substitution:
        return "one digit wrong"
    swapped = len(diff) == 2 and diff[1] == diff[0] + 1  # noqa: PLR2004
    if swapped and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return "two digits swapped"
    return None


def typo_of(intended: int, written: int, *, substitution: bool) -> str | None:
    """How ``written`` is a typo of ``intended``, or None.

    Examples:
        >>> typo_of(1010, 1001, substitution=False)
        'two digits swapped'
        >>> typo_of(540900, 54900, substitution=False)
        'a digit left out'
        >>> typo_of(320, 3220, substitution=False)
        'a digit repeated'
        >>> typo_of(541088, 540988, substitution=True) is None  # two digits differ
        True
    """
    a, b = str(intended), str(written)
    if intended < 10 or a == b:  # noqa: PLR2004
        return None
    if len(a) == len(b):
        return _same_length_typo(a, b, substitution=substitution)
    if len(b) == len(a) - 1 and any(a[:i] + a[i + 1 :] == b for i in range(len(a))):
        return "a digit left out"
    extra = [i for i in range(len(b)) if len(b) == len(a) + 1 and b[:i] + b[i + 1 :] == a]
    if not extra:
        return None
    i = extra[0]
    repeated = (i > 0 and b[i - 1] == b[i]) or (i + 1 < len(b) and b[i + 1] == b[i])
    return "a digit repeated" if repeated else "an extra digit"


def _carry_dropped(a: int, b: int, difference: int) -> bool:
    """True if ``a + b`` written ``difference`` off is the sum with one carry dropped."""
    if difference >= 0:
        return False
    carry, place = 0, 1
    while a or b or carry:
        total = a % 10 + b % 10 + carry
        carry = total // 10
        a, b, place = a // 10, b // 10, place * 10
        if carry and difference == -place:
            return True
    return False


def slip_detail(base: int, hand: int, written: int) -> str:
    """Why a running total ``base + hand`` came out as ``written``."""
    right = base + hand
    s = written - right
    text = (
        f"{base:,} + {hand:,} = {right:,}, but {written:,} was written: "
        f"the step added {written - base:,} instead of {hand:,}"
    )
    if typo_of(base, base + s, substitution=True) == "one digit wrong":
        return f"{text} (as if the running total {base:,} had been read as {base + s:,})"
    if typo_of(hand, hand + s, substitution=True) == "one digit wrong":
        return f"{text} (as if {hand:,} had been read as {hand + s:,})"
    if _carry_dropped(base, hand, s):
        return f"{text} (a carry was dropped)"
    return text
