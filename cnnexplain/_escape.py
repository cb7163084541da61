r"""Untrusted text (names, class names, argument values from files) made inert, per target.

Every renderer writes names through the one function of its target, never its own copy:

- `visible`: terminal text. Control characters (C0, DEL, C1, so ``ESC`` and every
  escape sequence it starts) and the characters that reorder or break lines
  (bidi overrides and isolates, line and paragraph separators) are shown as
  ``\x1b``, ``\u202e``..., never written raw. Every other target applies it first.
- `markdown_text` and `markdown_code`: Markdown, for Python-Markdown (with the
  ``tables`` and ``attr_list`` extensions the site uses) and CommonMark/GFM alike.
- `latex_text`: LaTeX text mode; the ten special characters become their
  escaped forms (``\textbackslash{}``, ``\^{}``, ``\~{}``...).
- `xml_text`: HTML and SVG text or attribute values.
- `json_text`: JSON written to a terminal, with C1, DEL and bidi characters as
  ``\uXXXX`` escapes (still the same JSON value).

`shorten` cuts a long name in its middle for tables; ``to_dict()`` and JSON keep
the whole name.

Examples:
    >>> print(visible("\x1b[31mred\x1b[0m"))
    \x1b[31mred\x1b[0m
    >>> markdown_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> markdown_text("**bold** [link](javascript:x)")
    '\\*\\*bold\\*\\* \\[link\\](javascript:x)'
    >>> markdown_code("conv")
    '`conv`'
    >>> latex_text(r"\input{/etc/passwd} ^^5c ~ 50%")
    '\\textbackslash{}input\\{/etc/passwd\\} \\^{}\\^{}5c \\~{} 50\\%'
    >>> shorten("a" * 100)
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…aaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
"""

from __future__ import annotations

import re

__all__ = [
    "NAME_LIMIT",
    "json_text",
    "latex_text",
    "markdown_code",
    "markdown_text",
    "short_path",
    "shorten",
    "visible",
    "xml_text",
]

NAME_LIMIT = 60
"""The most characters of a name a table shows; a longer one keeps its start and end."""

_C0 = "\x00-\x1f"  # ESC, newline, tab...
_OTHERS = (
    "\x7f-\x9f"  # DEL, C1 (CSI 0x9b...)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029"  # line and paragraph separators
)
_CONTROL = re.compile(f"[{_C0}{_OTHERS}]")
_JSON_RAW = re.compile(f"[{_OTHERS}]")
"""What ``json.dumps`` leaves raw in strings: it escapes C0, and writes its own newlines."""


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"  # noqa: PLR2004 - one byte


def visible(value: str, *, keep_newlines: bool = False) -> str:
    r"""``value`` for a terminal: every control, bidi and line-breaking character escaped.

    Args:
        value: the text, e.g. a layer name read from a file.
        keep_newlines: leave ``\n`` as it is (for whole messages and tables, whose
            lines are ours); names never keep theirs.

    Examples:
        >>> visible("a\u202eb\nc")
        'a\\u202eb\\x0ac'
        >>> visible("line 1\nline 2\x9b", keep_newlines=True)
        'line 1\nline 2\\x9b'
    """
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_shown, line) for line in value.split("\n"))
    return _CONTROL.sub(_shown, value)


def json_text(value: str) -> str:
    r"""JSON text (from ``json.dumps``) with DEL, C1 and bidi characters as ``\uXXXX`` escapes.

    ``json.dumps`` escapes C0 itself; the characters it leaves raw only occur inside
    strings, where the escape denotes the same character, so the JSON value is unchanged.

    Examples:
        >>> import json
        >>> json_text(json.dumps(["\u202e\x9b"], indent=1, ensure_ascii=False))
        '[\n "\\u202e\\u009b"\n]'
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


_MD_ESCAPED = re.compile(r"([\\`*{}\[\]|$])")
_MD_UNDERSCORES = re.compile(r"_+")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _underscores(match: re.Match[str]) -> str:
    """A run of ``_`` kept between letters or digits (``conv2_block1_bn``), escaped elsewhere.

    Between letters or digits neither CommonMark nor Python-Markdown reads it as emphasis.
    """
    text, start, end = match.string, match.start(), match.end()
    inside = start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return match.group() if inside else "\\_" * (end - start)


def markdown_text(value: str) -> str:
    r"""``value`` as literal Markdown text, inline or in a table cell.

    Backslash-escapes what Markdown would read as markup (``\ ` * _ { } [ ] | $``:
    code, emphasis, links and images, ``attr_list`` attributes, table cells, math
    where ``$`` starts it; a ``_`` between letters or digits, which is no emphasis,
    stays as it is) and
    a leading ``#``, ``+``, ``-``, ``=``, ``>`` or ``1.`` (a heading, list or
    quote); ``&``, ``<`` and ``>`` become entities, so no HTML tag or entity
    passes. Control characters are shown escaped (`visible`), so a name never
    ends a line or a table row.

    Examples:
        >>> markdown_text("a_b | {: onclick=x} _em_")
        'a_b \\| \\{: onclick=x\\} \\_em\\_'
        >>> markdown_text("# title")
        '\\# title'
        >>> markdown_text("H: ⌊(28−3)/1⌋+1 = 26")
        'H: ⌊(28−3)/1⌋+1 = 26'
    """
    text = _MD_UNDERSCORES.sub(_underscores, _MD_ESCAPED.sub(r"\\\1", visible(value)))
    text = text.translate(_HTML)
    start = _MD_LINE_START.match(text)
    if start:
        lead, mark = start.groups()
        cut = len(lead) + len(mark) - 1
        text = text[:cut] + "\\" + text[cut:]
    return text


def markdown_code(value: str) -> str:
    r"""``value`` as an inline code span, in a table cell or in running text.

    The fence is one backtick longer than the longest run of backticks inside. A
    ``|`` cannot be written inside a code span in a table the same way for
    Python-Markdown (which shows ``\|`` as is) and GFM (which ends the cell), so
    text with a ``|`` is written as ``<code>`` around `markdown_text` instead.

    Examples:
        >>> markdown_code("a`b")
        '``a`b``'
        >>> markdown_code("`x`")
        '`` `x` ``'
        >>> markdown_code("a|b")
        '<code>a\\|b</code>'
    """
    text = visible(value)
    if "|" in text:
        return f"<code>{markdown_text(text)}</code>"
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_LATEX = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "$": r"\$",
        "&": r"\&",
        "#": r"\#",
        "^": r"\^{}",
        "_": r"\_",
        "%": r"\%",
        "~": r"\~{}",
    }
)


def latex_text(value: str) -> str:
    r"""``value`` as LaTeX text-mode material: the ten special characters escaped.

    Control characters are shown escaped first (`visible`), then their backslash
    is escaped like any other, so no command, group, math shift, comment,
    ``^^`` sequence or alignment tab comes from the value.

    Examples:
        >>> latex_text("conv_1 & 100%")
        'conv\\_1 \\& 100\\%'
        >>> latex_text("\x1b")
        '\\textbackslash{}x1b'
    """
    return visible(value).translate(_LATEX)


def xml_text(value: str) -> str:
    """``value`` for HTML or SVG text and attribute values (``& < > " '`` as entities).

    XML 1.0 forbids most control characters even as entities, so they are shown
    escaped first (`visible`).

    Examples:
        >>> xml_text('<img src=x onerror="alert(1)">')
        '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    import html  # noqa: PLC0415 - its entity table loads only for HTML and SVG

    return html.escape(visible(value), quote=True)


def shorten(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` cut to ``limit`` characters by an ellipsis in its middle, if longer.

    Examples:
        >>> shorten("block_1_expand_conv_BN", 12)
        'block_…nv_BN'
        >>> shorten("conv")
        'conv'
    """
    if len(name) <= limit:
        return name
    head = limit // 2
    tail = limit - head - 1
    return name[:head] + "…" + name[len(name) - tail :]


def short_path(path: str, limit: int = NAME_LIMIT) -> str:
    """A path of names (``outer/inner``) with each name shortened (`shorten`).

    Examples:
        >>> short_path("outer/" + "x" * 70, 10)
        'outer/xxxxx…xxxx'
    """
    return "/".join(shorten(part, limit) for part in path.split("/"))
