"""Side-by-side checks of a breakdown row against the Keras layer it explains.

Pages print these tables from live blocks; a mismatch raises, which fails the build.
"""

from typing import Any

from cnnexplain import LayerRow


def _keras_weights(layer: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(w.name, tuple(int(d) for d in w.shape)) for w in layer.weights]


def against_keras(row: LayerRow, layer: Any) -> str:
    """A Markdown table: each weight, the count and the output shape, from cnnexplain and Keras.

    Raises:
        ValueError: if any figure differs (which fails the site build).
    """
    ours_weights = [(w.name, w.shape) for w in row.weights]
    keras_weights = _keras_weights(layer)
    lines = ["| | cnnexplain | Keras |", "|---|---|---|"]
    for name, shape in ours_weights:
        lines.append(
            f"| `{name}` shape | {shape} | {dict(keras_weights).get(name)} |"
        )
    if not ours_weights:
        lines.append(f"| weights | none | {len(keras_weights) or 'none'} |")
    lines.append(f"| parameters | {row.params:,} | {layer.count_params():,} |")
    lines.append(
        f"| output shape | {row.output_shape} | {tuple(layer.output.shape)} |"
    )
    if (
        ours_weights != keras_weights
        or row.params != layer.count_params()
        or tuple(row.output_shape) != tuple(layer.output.shape)
    ):
        raise ValueError(
            f"Layer '{row.name}' differs from Keras:\n" + "\n".join(lines)
        )
    return "\n".join(lines)


def display_math(latex: str) -> str:
    """A display formula for a page (``docs/hooks.py`` renders it as MathML)."""
    return f"\n$$\n{latex}\n$$\n"


def count_latex(n: int) -> str:
    """``542230`` as LaTeX with thousands separators (``542{,}230``)."""
    return f"{n:,}".replace(",", "{,}")
