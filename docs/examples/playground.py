"""The playground page's code and the "Try it" links that open a model there.

`posted_source` and `corrected_source` are the two programs the page and the tests
run (the question's code as posted, and as its text describes it); `try_it` writes
a link to the playground with code and a hand count in the URL fragment
(``#code=...&counts=...&mode=per_layer``), which the page reads on load.
"""

import html
import inspect
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cnnexplain import spec

EXAMPLES = Path(__file__).parent
CALL = "\nmodel = define_model()\n"


def posted_source() -> str:
    """The question's code as posted, with the Keras 3 imports it needs and a call to it."""
    text = (EXAMPLES / "posted_code.py").read_text(encoding="utf-8")
    imports = [
        line
        for line in text.splitlines()
        if line.startswith(("from keras", "import keras"))
    ]
    start = text.index("# --8<-- [start:posted]\n") + len(
        "# --8<-- [start:posted]\n"
    )
    end = text.index("# --8<-- [end:posted]")
    return (
        "# The question's code as posted. The post shows only define_model();\n"
        "# the imports and the last line are added so that it runs.\n"
        + "\n".join(imports)
        + "\n\n"
        + text[start:end]
        + CALL
    )


def corrected_source() -> str:
    """docs/examples/corrected.py as it is, and a call to it."""
    return (EXAMPLES / "corrected.py").read_text(encoding="utf-8") + CALL


def seed_source() -> str:
    """docs/examples/seed.py (the tutorial's model) as it is, and a call to it."""
    return (EXAMPLES / "seed.py").read_text(encoding="utf-8") + CALL


TORCH_SOURCE = """\
# The question's model in PyTorch: the same layers, channels first.
import torch
from torch import nn

model = nn.Sequential(
    nn.Conv2d(1, 32, kernel_size=3),  # 1x28x28 -> 32x26x26
    nn.ReLU(),
    nn.MaxPool2d(2),  # -> 32x13x13
    nn.Flatten(),  # -> 5408
    nn.Linear(5408, 100),
    nn.ReLU(),
    nn.Linear(100, 10),
)
print(model)
print(sum(p.numel() for p in model.parameters()))
out = model(torch.randn(1, 1, 28, 28))
print(out.shape)
"""


TORCH_CALL = "\nmodel = define_net()\nout = model(torch.randn(1, 1, 28, 28))\n"


def seed_torch_source() -> str:
    """docs/examples/seed_torch.py (the tutorial's PyTorch model) as it is, run on an input."""
    text = (EXAMPLES / "seed_torch.py").read_text(encoding="utf-8")
    return (
        text.replace(
            "from torch import nn\n", "import torch\nfrom torch import nn\n", 1
        )
        + TORCH_CALL
    )


def torch_source() -> str:
    """The question's model transcribed to PyTorch, as a learner writes it."""
    return TORCH_SOURCE


def _value(value: Any) -> str:
    if isinstance(value, list):
        value = tuple(value)
    return f'"{value}"' if isinstance(value, str) else repr(value)


def keras_source(model: Any) -> str:
    """Stand-alone Keras code for a built Sequential model, as short as a person writes it.

    Each layer gets its required arguments by position, then those of the
    arguments `cnnexplain.spec` knows (the ones that shape a count) that differ
    from a default Keras layer of the same class, and its name.
    """
    shape = tuple(model.input_shape[1:])
    lines = [
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential(",
        "    [",
        f"        keras.Input({shape!r}),",
    ]
    for layer in model.layers:
        config = layer.get_config()
        cls = getattr(spec, type(layer).__name__)
        required = cls._required()
        default = type(layer)(
            **{key: config[key] for key in required}
        ).get_config()
        args = [_value(config[key]) for key in required]
        args += [
            f"{key}={_value(config[key])}"
            for key in cls.arguments
            if key not in required
            and key in config
            and config[key] != default.get(key)
        ]
        args.append(f"name={_value(layer.name)}")
        lines.append(
            f"        layers.{type(layer).__name__}({', '.join(args)}),"
        )
    lines += ["    ],", f"    name={_value(model.name)},", ")", ""]
    return "\n".join(lines)


def fragment(code: str, *, running: Any = None, per_layer: Any = None) -> str:
    """``code=...&counts=...`` (and ``&mode=per_layer``), as the page reads its URL fragment."""
    parts = [f"code={quote(code, safe='')}"]
    counts = running if running is not None else per_layer
    if counts is not None:
        parts.append(
            "counts=" + quote(",".join(str(n) for n in counts), safe=",")
        )
    if per_layer is not None:
        parts.append("mode=per_layer")
    return "&".join(parts)


def try_it(
    code: str,
    *,
    running: Any = None,
    per_layer: Any = None,
    base: str = "../playground/",
) -> str:
    """A paragraph linking to the playground with this code (and hand count) loaded."""
    href = f"{base}#{fragment(code, running=running, per_layer=per_layer)}"
    what = (
        "this model and this hand count"
        if (running or per_layer)
        else "this model"
    )
    return (
        f'<p class="try-it"><a href="{html.escape(href)}">Try it in the playground</a>: '
        f"{what}, explained in your browser; change the code or the count and run it again.</p>"
    )


def textarea(code: str) -> str:
    """The page's editor, holding ``code``."""
    return (
        '<textarea id="playground-code" spellcheck="false" autocomplete="off" '
        f'aria-label="Keras or PyTorch code" rows="{code.count(chr(10)) + 2}">'
        f"{html.escape(code)}</textarea>"
    )


def defined_in(module: Any) -> str:
    """The source of a module object (for the page's collapsible listings)."""
    return inspect.getsource(module)


def editor(code: str) -> str:
    """The page's form: the code, the hand count and how it is written, the button, the output."""
    return f"""<div class="playground">
{textarea(code)}
<div class="playground-controls">
<label for="playground-counts">Your hand count (optional)</label>
<input id="playground-counts" type="text" inputmode="numeric" autocomplete="off"
  placeholder="e.g. 288, 540988, 541988">
<select id="playground-mode" aria-label="How the numbers are written">
<option value="running">running totals</option>
<option value="per_layer">one count per layer</option>
</select>
<button id="playground-run" type="button" class="md-button md-button--primary">Explain</button>
</div>
<p id="playground-status" data-state="idle" aria-live="polite">Python starts in your browser
when you first use the editor or press Explain.</p>
<noscript><p>The playground runs Python in your browser: it needs JavaScript.</p></noscript>
<div id="playground-output" aria-live="polite"></div>
</div>
<script type="module" src="../assets/playground.js"></script>
"""


def _spec_call(layer: Any) -> str:
    """``layers.Conv2D(64, 3, name="conv")`` for a `cnnexplain.spec` layer."""
    cls = type(layer)
    required = [key for key in cls._required() if key in layer.kwargs]
    args = [_value(layer.kwargs[key]) for key in required]
    args += [
        f"{key}={_value(value)}"
        for key, value in layer.kwargs.items()
        if key not in required
    ]
    if layer.name:
        args.append(f"name={_value(layer.name)}")
    return f"layers.{layer.class_name}({', '.join(args)})"


def _spec_input(layer: Any) -> str:
    shape = tuple(layer.kwargs["batch_shape"][1:])
    name = f", name={_value(layer.name)}" if layer.name else ""
    return f"keras.Input({shape!r}{name})"


def spec_source(model: spec.Model) -> str:
    """Stand-alone Keras code for a `cnnexplain.spec` model: a Sequential or a functional one.

    A functional model's layers are named (their names are its variables); a
    layer called more than once is defined once and its calls numbered.
    """
    head = ["import keras", "from keras import layers", ""]
    if isinstance(model, spec.Sequential):
        items = [
            _spec_input(x) if isinstance(x, spec.InputLayer) else _spec_call(x)
            for x in model.layers
        ]
        body = ["model = keras.Sequential(", "    ["]
        body += [f"        {item}," for item in items]
        body += ["    ],", f"    name={_value(model.name)},", ")", ""]
        return "\n".join(head + body)
    variables: dict[tuple[int, int], str] = {}
    body = []
    # Inputs first, each layer after what it reads; a layer's name is its variable.
    for name, layer in model.named_layers():
        if isinstance(layer, spec.InputLayer):
            variables[id(layer), 0] = name
            body.append(f"{name} = {_spec_input(layer)}")
            continue
        shared = len(layer.calls) > 1
        if shared:
            body.append(f"{name} = {_spec_call(layer)}")
        for i, call in enumerate(layer.calls):
            names = [variables[id(t.layer), t.call] for t in call]
            arg = names[0] if len(names) == 1 else f"[{', '.join(names)}]"
            out = f"{name}_{i + 1}" if shared else name
            variables[id(layer), i] = out
            called = name if shared else _spec_call(layer)
            body.append(f"{out} = {called}({arg})")

    def listed(tensors: list[Any]) -> str:
        names = [variables[id(t.layer), t.call] for t in tensors]
        return names[0] if len(names) == 1 else f"[{', '.join(names)}]"

    body.append(
        f"model = keras.Model({listed(model.inputs)}, {listed(model.outputs)}, "
        f"name={_value(model.name)})"
    )
    return "\n".join([*head, *body, ""])
