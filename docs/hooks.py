"""MkDocs hooks: live blocks, math and the environment the site is built in.

- ``on_startup`` quiets TensorFlow and puts ``docs/`` on ``sys.path`` so live
  blocks can ``from examples.seed import define_model``.
- ``on_config`` wraps every markdown-exec block's output in
  ``<div class="live" data-live="<id>">``, so a reader of the built HTML (the
  prose-number guard, ``tests/test_prose_numbers.py``) knows which text was
  computed at build time; a live block without ``id=`` is reported, which fails
  a ``--strict`` build.
- ``on_page_content`` turns math written as ``$...$`` / ``$$...$$``
  (pymdownx.arithmatex, generic mode) into MathML with latex2mathml, so pages
  need no math script and no raw TeX reaches the reader.
- the playground page's assets (``docs/playground_build.py``): ``on_config``
  stops the build with one sentence if ``npm ci`` has not installed Pyodide;
  ``on_post_build`` copies Pyodide into the site and writes the cnnexplain wheel.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latex2mathml import exceptions as latex_errors
from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

DOCS = Path(__file__).parent
log = logging.getLogger("mkdocs.hooks.cnnexplain")

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\\(?:\((?P<inline>.*?)\\\)|\[(?P<block>.*?)\\\])'
    r"</(?P=tag)>",
    re.DOTALL,
)
# latex2mathml raises one class per problem; its parser also lets these through.
_MATH_ERRORS: tuple[type[Exception], ...] = (
    *(v for v in vars(latex_errors).values() if isinstance(v, type) and issubclass(v, Exception)),
    IndexError,
    KeyError,
    ValueError,
)


def on_startup(command: str, dirty: bool) -> None:  # noqa: ARG001, FBT001
    """Run once when MkDocs starts, before any page's live blocks."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    # Keras's own saving code trips NumPy 2's __array__ deprecation; not ours to fix.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"keras(\.|$)")


def _live(fmt: Callable[..., str]) -> Callable[..., str]:
    """Wrap a markdown-exec fence formatter so its output is marked as live."""

    def live_format(
        source: str, language: str, css_class: str, options: dict[str, Any], md: Any, **kw: Any
    ) -> str:
        block_id = options.get("id", "")
        if not block_id:
            first = source.strip().splitlines()[0] if source.strip() else ""
            log.warning("A live %s block has no id= (it starts with %r).", language, first)
        out = fmt(source, language, css_class, options, md, **kw)
        wrapped = f'<div class="live" data-live="{html.escape(block_id)}">{out}</div>'
        # markdown-exec finds a block's generated headings (for the table of contents)
        # by its exact output: file them under the wrapped output too.
        if "markdown_exec_insert_headings" in md.treeprocessors:
            inserter = md.treeprocessors["markdown_exec_insert_headings"]
            if out in inserter.headings:
                inserter.headings[wrapped] = inserter.headings.pop(out)
        return wrapped

    live_format.cnnexplain_live = True  # type: ignore[attr-defined]
    return live_format


def _playground_build() -> Any:
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
    import playground_build  # noqa: PLC0415 - docs/playground_build.py, on the path just set

    return playground_build


@event_priority(-100)  # after markdown-exec has registered its fences
def on_config(config: Any) -> Any:
    """Check the playground's Pyodide; mark the output of every live block (module docstring)."""
    assets = _playground_build()
    try:
        assets.check_pyodide()
    except assets.MissingPyodideError as err:
        raise PluginError(str(err)) from None
    fences = config["mdx_configs"].get("pymdownx.superfences", {}).get("custom_fences", [])
    for fence in fences:
        fmt = fence.get("format")
        module = getattr(fmt, "__module__", "") or ""
        if module.startswith("markdown_exec") and not getattr(fmt, "cnnexplain_live", False):
            fence["format"] = _live(fmt)
    return config


# latex2mathml reads the thousands separator ``542{,}230`` as three tokens.
_GROUPED = re.compile(r"<mn>([\d,]+)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>(\d{3})</mn>")


def latex_to_mathml(latex: str, *, block: bool = False) -> str:
    r"""MathML for a LaTeX formula, as the pages show it.

    A number grouped with ``{,}`` stays one number (``<mn>542,230</mn>``), not a
    list with a space after each comma.

    Examples:
        >>> latex_to_mathml(r"k_{h} \cdot F")  # doctest: +ELLIPSIS
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">...<mi>F</mi>...</math>'
        >>> latex_to_mathml("x = 1{,}234{,}567")  # doctest: +ELLIPSIS
        '...<mo>&#x0003D;</mo><mn>1,234,567</mn>...'
    """
    mathml = convert(latex.strip(), display="block" if block else "inline")
    while True:
        grouped = _GROUPED.sub(r"<mn>\1,\2</mn>", mathml)
        if grouped == mathml:
            return mathml
        mathml = grouped


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:  # noqa: ARG001
    """Render every ``$...$`` and ``$$...$$`` of the page as MathML."""

    def replace(match: re.Match[str]) -> str:
        block = match["block"] is not None
        latex = html.unescape(match["block"] if block else match["inline"])
        try:
            mathml = latex_to_mathml(latex, block=block)
        except _MATH_ERRORS as err:
            log.warning("Cannot render math %r on %s: %s", latex, page.file.src_uri, err)
            return match[0]
        tag = "div" if block else "span"
        return f'<{tag} class="math">{mathml}</{tag}>'

    return _MATH.sub(replace, html_text)


def on_post_build(config: Any) -> None:
    """Put Pyodide and the cnnexplain wheel into the built site, for the playground page."""
    import cnnexplain  # noqa: PLC0415

    assets = _playground_build()
    site = Path(config["site_dir"])
    assets.copy_pyodide(site)
    assets.write_wheel(site, cnnexplain.__version__)
