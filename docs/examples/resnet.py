"""The page "Count a ResNet block": tables and sentences from the block's breakdown.

Each function checks its figures against the Keras model and raises on any
difference, which stops the site build.
"""

from typing import Any

from cnnexplain import Breakdown, LayerRow


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def _rows(b: Breakdown, kind: str) -> list[LayerRow]:
    return [r for r in b.rows if r.kind == kind]


def _weights(layer: Any, *, trainable: bool) -> int:
    tensors = (
        layer.trainable_weights if trainable else layer.non_trainable_weights
    )
    total = 0
    for w in tensors:
        size = 1
        for n in w.shape:
            size *= int(n)
        total += size
    return total


def layer_table(b: Breakdown) -> str:
    """Layer, parameters, formula, trainable, output shape: the point first."""
    lines = [
        "| Layer | Parameters | Formula | Trainable | Output shape |",
        "|---|---:|---|---:|---|",
    ]
    for r in b.rows:
        formula = f"${r.formula.latex()}$" if r.params else ""
        lines.append(
            f"| `{r.name}` ({r.kind}) | {r.params:,} | {formula} | {r.trainable:,} "
            f"| `{r.output_shape}` |"
        )
    return "\n".join(lines)


def conv_sentences(b: Breakdown, model: Any) -> str:
    """Each convolution: kernel times input channels times filters, no bias.

    Raises:
        ValueError: if a convolution's count differs from Keras's.
    """
    out = []
    for r in _rows(b, "Conv2D"):
        layer = model.get_layer(r.name)
        if r.params != layer.count_params() or layer.use_bias:
            raise ValueError(
                f"{r.name}: {r.params} against Keras {layer.count_params()}"
            )
        kernel = "×".join(str(k) for k in layer.kernel_size)
        out.append(
            f"- `{r.name}`: {layer.filters} filters of {kernel}, each over all "
            f"the channels it reads, no bias: "
            f"${r.formula.latex(symbols=True)} = {r.formula.latex()} = {_count(r.params)}$."
        )
    return (
        "The convolutions hold almost everything. Without a bias, a convolution "
        "has $k_h \\cdot k_w \\cdot C_{\\mathrm{in}} \\cdot F$ weights:\n\n"
        + "\n".join(out)
        + "\n"
    )


def batchnorm_sentences(b: Breakdown, model: Any) -> str:
    """Each BatchNormalization's 4·C, split as Keras splits it.

    Raises:
        ValueError: if the trainable or non-trainable part differs from Keras's.
    """
    rows = _rows(b, "BatchNormalization")
    for r in rows:
        layer = model.get_layer(r.name)
        keras_split = (
            _weights(layer, trainable=True),
            _weights(layer, trainable=False),
        )
        if (r.trainable, r.non_trainable) != keras_split:
            raise ValueError(
                f"{r.name}: {r.trainable}/{r.non_trainable} against {keras_split}"
            )
    r = rows[0]
    channels = r.output_shape[-1]
    names = ", ".join(f"`{x.name}`" for x in rows)
    return (
        f"Each of {names} normalizes {channels} channels and holds four vectors of "
        f"{channels}: `gamma` and `beta`, learned by gradients, and `moving_mean` and "
        f"`moving_variance`, updated by averaging while training. So "
        f"${r.formula.latex(symbols=True)} = {r.formula.latex()} = {_count(r.params)}$ "
        f"parameters, of which {r.trainable:,} are trainable and {r.non_trainable:,} "
        "are not. Keras's `count_params()` counts all four; its *Trainable params* "
        "leaves the statistics out (checked against the layers' "
        "`trainable_weights` and `non_trainable_weights`).\n"
    )


def shortcut_sentences(b: Breakdown) -> str:
    """Why the projection exists, and what Add and ReLU cost."""
    by_name = {r.name: r for r in b.rows}
    projection, add = by_name["projection"], by_name["add"]
    entry = b.input_shapes[0]
    return (
        f"`Add` sums two tensors of the same shape. The block's input is `{entry}`, "
        f"its main path gives `{by_name['bn2'].output_shape}`: the stride halved the "
        "height and width and the filters doubled the channels. So the shortcut "
        f"passes through `projection`, a 1×1 convolution with the same stride: "
        f"${projection.formula.latex(symbols=True)} = {projection.formula.latex()} = "
        f"{_count(projection.params)}$, plus its normalization. A 1×1 kernel "
        "looks at one position and mixes only channels: $k_h = k_w = 1$.\n\n"
        f"`Add` and `ReLU` have nothing to learn: {add.params} parameters each. A "
        "block that keeps its shape uses the input itself as the shortcut, with no "
        "projection and no parameters on that path.\n"
    )


def total_math(b: Breakdown, model: Any) -> str:
    """The block's total as one sum, and Keras's figures next to it.

    Raises:
        ValueError: if the total or the trainable part differs from Keras's.
    """
    trainable = sum(_weights(layer, trainable=True) for layer in model.layers)
    if b.total != model.count_params() or b.trainable != trainable:
        raise ValueError(
            f"{b.total}/{b.trainable} against {model.count_params()}/{trainable}"
        )
    return (
        f"\n$$\n{b.formula.latex()} = {_count(b.total)}\n$$\n\n"
        f"Keras's `count_params()` gives {model.count_params():,}; of those, "
        f"{b.trainable:,} are trainable and {b.non_trainable:,} are the normalizations' "
        "moving statistics.\n"
    )
