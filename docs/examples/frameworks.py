"""Keras and PyTorch side by side: the tables the pages print from live blocks.

Each function raises when the two frameworks' figures differ where the page
says they agree (or agree where it says they differ), which fails the build.
"""

from typing import Any

import numpy as np

from cnnexplain import Breakdown

TOLERANCE = 1e-5  # float32 rounding: the same sums in another order


def _leaves(rows: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``(path, row)`` of every row without children, nested rows included."""
    found = []
    for row in rows:
        path = f"{prefix}{row.name}"
        if row.children:
            found += _leaves(row.children, f"{path}.")
        else:
            found.append((path, row))
    return found


def _counted(b: Breakdown) -> list[tuple[str, Any]]:
    """The layers with parameters, in order, the normalizations last.

    Keras orders a functional model's layers by the graph, PyTorch a module's by
    registration; with the normalizations apart, the two lists pair up.
    """
    rows = [(path, row) for path, row in _leaves(b.rows) if row.params]
    return sorted(rows, key=lambda item: "Norm" in item[1].kind)


def side_by_side(
    keras_b: Breakdown, torch_b: Breakdown, *, differ: tuple[str, ...] = ()
) -> str:
    """A Markdown table pairing the layers with parameters of two breakdowns.

    ``differ`` names the PyTorch kinds whose count differs from Keras's.

    Raises:
        ValueError: if a pair's counts differ, or agree, against ``differ``.
    """
    ours, theirs = _counted(keras_b), _counted(torch_b)
    lines = [
        "| Keras layer | output shape | count | PyTorch module | output shape | count |",
        "|---|---|---:|---|---|---:|",
    ]
    wrong = len(ours) != len(theirs)
    for (k_path, k), (t_path, t) in zip(ours, theirs, strict=False):
        lines.append(
            f"| `{k_path}` ({k.kind}) | {k.output_shape} | {k.params:,} "
            f"| `{t_path}` ({t.kind}) | {t.output_shape} | {t.params:,} |"
        )
        wrong = wrong or (k.params != t.params) != (t.kind in differ)
    lines.append(
        f"| **total** | | **{keras_b.total:,}** | | | **{torch_b.total:,}** |"
    )
    if wrong:
        raise ValueError(
            f"Keras and PyTorch counts, expected to differ only for {differ}:\n"
            + "\n".join(lines)
        )
    return "\n".join(lines)


def contrast(keras_b: Breakdown, torch_b: Breakdown, kind: str) -> str:
    """Keras's and PyTorch's row of one layer: counts, formula, weights, buffers.

    Raises:
        ValueError: if the two counts are equal (the page says they differ).
    """
    k = _counted(keras_b)[0][1]
    t = next(r for r in torch_b.rows if r.kind == kind)
    lines = [
        "| | Keras | PyTorch |",
        "|---|---|---|",
        f"| layer | `{k.kind}` | `{t.kind}` |",
        f"| parameters | {k.params:,} | {t.params:,} |",
        f"| of which trainable | {k.trainable:,} | {t.trainable:,} |",
        f"| formula | `{k.formula}` | `{t.formula}` |",
        f"| weights | {_weights(k.weights)} | {_weights(t.weights)} |",
        f"| buffers (never counted) | {_weights(k.buffers)} | {_weights(t.buffers)} |",
    ]
    if k.params == t.params:
        raise ValueError(f"{kind}: Keras and PyTorch both count {k.params}")
    return "\n".join(lines)


def _weights(weights: Any) -> str:
    return ", ".join(f"`{w.name}` {w.shape}" for w in weights) or "none"


def same_outputs(
    layer: Any, nets: dict[str, Any], image: np.ndarray, *, exact: str
) -> str:
    """Run a Keras Conv2D and torch versions of it, with the same weights, on one image.

    ``nets`` maps a description to an ``nn.Sequential`` ending in the
    ``Conv2d``; the table gives each one's output shape and its largest
    difference from Keras's output.

    Raises:
        ValueError: unless the net named ``exact``, and only it, gives Keras's output.
    """
    import torch  # noqa: PLC0415

    rng = np.random.default_rng(0)  # the same figures at every build
    layer.set_weights(
        [rng.standard_normal(w.shape).astype("float32") for w in layer.weights]
    )
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    expected = np.asarray(layer(image[None]))[0]  # (H, W, C)
    lines = [
        "| PyTorch | output shape | largest difference from Keras |",
        "|---|---|---:|",
    ]
    for name, net in nets.items():
        conv = net[-1]
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1)))
            conv.bias.copy_(torch.from_numpy(bias))
            x = torch.from_numpy(image.transpose(2, 0, 1)[None].copy())
            got = net(x)[0].numpy().transpose(1, 2, 0)
        same_shape = got.shape == expected.shape
        gap = float(np.abs(got - expected).max()) if same_shape else np.inf
        lines.append(f"| {name} | {tuple(net(x).shape)} | {gap:.1e} |")
        if (gap < TOLERANCE) != (name == exact):
            raise ValueError(f"{name}: largest difference {gap} from Keras")
    return "\n".join(lines)
