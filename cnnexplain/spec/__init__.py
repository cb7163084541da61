"""Describe Keras models without TensorFlow, with Keras's names and arguments.

A spec writes the same config Keras writes (``model.get_config()``), so
`cnnexplain.explain` gives a spec and the Keras model it describes the same
breakdown, and ``explain(spec_model, verify=True)`` builds it in Keras to prove it.

Examples:
    >>> from cnnexplain import explain, spec
    >>> model = spec.Sequential([
    ...     spec.Input((28, 28, 1)),
    ...     spec.Conv2D(32, (3, 3), activation="relu", name="conv"),
    ...     spec.MaxPooling2D((2, 2), name="pool"),
    ...     spec.Flatten(name="flatten"),
    ...     spec.Dense(100, activation="relu", name="hidden"),
    ...     spec.Dense(10, activation="softmax", name="output"),
    ... ])
    >>> explain(model).total
    542230

    The functional form describes branches:

    >>> x = spec.Input((32, 32, 3), name="image")
    >>> a = spec.Conv2D(16, 3, padding="same", name="a")(x)
    >>> b = spec.Conv2D(16, 1, name="b")(x)
    >>> y = spec.Add(name="add")([a, b])
    >>> branchy = spec.Model(x, spec.GlobalAveragePooling2D(name="gap")(y), name="branchy")
    >>> [(r.name, r.params) for r in explain(branchy).rows]
    [('a', 448), ('b', 64), ('add', 0), ('gap', 0)]

    Mistakes are named:

    >>> spec.Conv2D(32, kernel=3)
    Traceback (most recent call last):
    ...
    cnnexplain.SpecError: Layer 'conv2d' (Conv2D): unknown argument 'kernel'; expected one of \
filters, kernel_size, strides, padding, data_format, dilation_rate, groups, use_bias. Received: \
kernel=3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import SpecError

__all__ = [  # noqa: RUF022 - plain sorted(), which tests/test_api.py checks
    "Activation",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Bidirectional",
    "CenterCrop",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "EinsumDense",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "GroupQueryAttention",
    "Input",
    "LSTM",
    "LSTMCell",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "Model",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RMSNormalization",
    "RNN",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "SeparableConv1D",
    "SeparableConv2D",
    "Sequential",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "StackedRNNCells",
    "Subtract",
    "Tensor",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]

_IGNORED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
_IGNORED = frozenset({"activation", "dtype", "seed", "activity_regularizer"})


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Tensor:
    """The symbolic output of a spec layer's call (functional form)."""

    def __init__(self, layer: Layer, call: int, index: int = 0) -> None:
        self.layer = layer
        self.call = call
        self.index = index

    def __repr__(self) -> str:
        return f"<spec.Tensor from {self.layer.class_name} call {self.call}>"


class Layer:
    """A Keras layer described by its class name and arguments.

    Subclasses declare the Keras class (``class_name``), the arguments that can
    be given by position, and the arguments that shape the count (with Keras's
    defaults). Arguments that never change a count (activation, initializers,
    regularizers, constraints, ``dtype``, and those in ``passive``) are accepted
    and passed on to Keras; any other raises `SpecError`.
    """

    class_name: ClassVar[str] = ""
    positional: ClassVar[tuple[str, ...]] = ()
    arguments: ClassVar[dict[str, Any]] = {}
    passive: ClassVar[frozenset[str]] = frozenset()
    spread: ClassVar[bool] = False
    """Whether several inputs are separate positional arguments (``mha(q, v)``), not a list."""

    def __init__(
        self, *args: Any, name: str | None = None, trainable: bool = True, **kwargs: Any
    ) -> None:
        _check_name(name, self.class_name)
        self.name = name
        self.trainable = trainable
        self.calls: list[list[Tensor]] = []
        self.input_shape_arg = self._pop_input_shape(kwargs)
        where = f"Layer '{name or _snake(self.class_name)}' ({self.class_name})"
        if len(args) > len(self.positional):
            raise SpecError(
                f"{where}: takes at most {len(self.positional)} positional arguments "
                f"({', '.join(self.positional) or 'none'}). Received: {len(args)}.",
                layer=name,
                argument=None,
            )
        for key, value in zip(self.positional, args, strict=False):
            if key in kwargs:
                raise SpecError(
                    f"{where}: '{key}' is given twice. Received: {key}={value!r}.",
                    layer=name,
                    argument=key,
                )
            kwargs[key] = value
        for key, value in kwargs.items():
            known = key in self.arguments or key in self.passive or key in _IGNORED
            if not known and not key.endswith(_IGNORED_SUFFIXES):
                expected = ", ".join(self.arguments) or "no arguments"
                raise SpecError(
                    f"{where}: unknown argument '{key}'; expected one of {expected}. "
                    f"Received: {key}={value!r}.",
                    layer=name,
                    argument=key,
                )
        missing = [k for k in self._required() if k not in kwargs]
        if missing:
            raise SpecError(
                f"{where}: missing required argument '{missing[0]}'.",
                layer=name,
                argument=missing[0],
            )
        self.kwargs = kwargs

    def _pop_input_shape(self, kwargs: dict[str, Any]) -> tuple[int | None, ...] | None:
        """Keras's legacy ``input_shape=`` / ``input_dim=``: a Sequential's first layer's input."""
        where = f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name})"
        dim = kwargs.pop("input_dim", None) if "input_dim" not in self.arguments else None
        shape = (dim,) if dim is not None else kwargs.pop("input_shape", None)
        if shape is None:
            return None
        if isinstance(shape, int):
            shape = (shape,)
        if not isinstance(shape, Sequence) or isinstance(shape, str):
            raise SpecError(
                f"{where}: 'input_shape' must be a tuple of sizes. "
                f"Received: input_shape={shape!r}.",
                layer=self.name,
                argument="input_shape",
            )
        return tuple(shape)

    @classmethod
    def _required(cls) -> list[str]:
        """Positional arguments without a default: the leading ones whose default is None."""
        required = []
        for key in cls.positional:
            if key in cls.arguments and cls.arguments[key] is not None:
                break
            required.append(key)
        return required

    def __call__(
        self, inputs: Tensor | Sequence[Tensor], *, training: Any = None, mask: Any = None
    ) -> Tensor:
        """Call the layer on spec tensors (functional form).

        ``training`` and ``mask`` are accepted as Keras takes them; neither changes a
        count or a shape.
        """
        del training, mask
        tensors = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise SpecError(
                f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name}) must be "
                f"called on spec tensors. Received: {inputs!r}."
            )
        self.calls.append(tensors)
        return Tensor(self, len(self.calls) - 1)

    def config(self, name: str) -> dict[str, Any]:
        """The Keras-format config of this layer under ``name``."""
        args = {k: v for k, v in self.arguments.items() if v is not None}
        trainable = {} if self.trainable else {"trainable": False}
        return {"name": name, **trainable, **args, **self.kwargs}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        name = f", name={self.name!r}" if self.name else ""
        return f"spec.{type(self).__name__}({args}{name})"


def _check_name(name: object, class_name: str) -> None:
    """Refuse a name Keras refuses: not a string, or holding ``/`` (its weight paths' separator).

    Examples:
        >>> Dense(4, name="a/b")
        Traceback (most recent call last):
        ...
        cnnexplain.SpecError: Dense: the argument name must be a string without '/', \
as in Keras ('/' separates the parts of weight paths). Received: name='a/b'.
    """
    if name is not None and (not isinstance(name, str) or "/" in name):
        raise SpecError(
            f"{class_name}: the argument name must be a string without '/', as in Keras ('/' "
            f"separates the parts of weight paths). Received: name={name!r}.",
            layer=name if isinstance(name, str) else None,
            argument="name",
        )


def _check_unique(layers: Sequence[Layer], where: str) -> None:
    """Refuse two layers of one model with the same name, as Keras does."""
    seen: dict[str, Layer] = {}
    for layer in layers:
        if not layer.name:
            continue
        other = seen.setdefault(layer.name, layer)
        if other is not layer:
            raise SpecError(
                f"{where}: two layers are named '{layer.name}' ({other.class_name} and "
                f"{layer.class_name}), and Keras requires the layers of a model to have unique "
                f"names; give one of them another name. Received: name={layer.name!r}.",
                layer=layer.name,
                argument="name",
            )


def _define(
    class_name: str,
    positional: tuple[str, ...] = (),
    *,
    passive: tuple[str, ...] = (),
    base: type[Layer] | None = None,
    **arguments: Any,
) -> type[Layer]:
    return type(
        class_name,
        (base or Layer,),
        {
            "class_name": class_name,
            "positional": positional,
            "arguments": arguments,
            "passive": frozenset(passive),
            "__module__": __name__,
            "__doc__": f"Spec of ``keras.layers.{class_name}``.",
        },
    )


class InputLayer(Layer):
    """The layer behind `Input`."""

    class_name = "InputLayer"
    arguments: ClassVar[dict[str, Any]] = {"batch_shape": None}

    def config(self, name: str) -> dict[str, Any]:
        """The InputLayer config, with ``batch_shape``."""
        return {"name": name, "batch_shape": list(self.kwargs["batch_shape"])}


def Input(  # noqa: N802 - Keras's name
    shape: Sequence[int | None], batch_size: int | None = None, name: str | None = None
) -> Tensor:
    """A model input of the given shape (batch axis excluded), as ``keras.Input``."""
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise SpecError(
            f"Input: 'shape' must be a tuple of sizes. Received: shape={shape!r}.", argument="shape"
        )
    layer = InputLayer(name=name, batch_shape=(batch_size, *shape))
    return Tensor(layer, 0)


class _Nesting(Layer):
    """A layer whose arguments hold layers (wrappers, RNN cells), written as nested configs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        where = f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name})"
        for key in ("layer", "backward_layer", "cell"):
            value = self.kwargs.get(key)
            if value is not None and not isinstance(value, Layer):
                raise SpecError(
                    f"{where}: '{key}' must be a spec layer. Received: {key}={value!r}.",
                    layer=self.name,
                    argument=key,
                )
        cells = self.kwargs.get("cells")
        if cells is not None and (
            not isinstance(cells, (list, tuple)) or not all(isinstance(c, Layer) for c in cells)
        ):
            raise SpecError(
                f"{where}: 'cells' must be a list of spec layers. Received: cells={cells!r}.",
                layer=self.name,
                argument="cells",
            )

    def config(self, name: str) -> dict[str, Any]:
        """The config, each spec layer in it written as Keras writes a nested layer."""
        config = super().config(name)
        for key, value in config.items():
            if isinstance(value, Layer):
                config[key] = _nested(value)
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Layer) for v in value):
                config[key] = [_nested(v) for v in value]
        return config


def _nested(layer: Layer) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": layer.class_name,
        "config": layer.config(layer.name or _snake(layer.class_name)),
        "registered_name": None,
    }


class _QueryValueKey(Layer):
    """An attention layer, called as ``layer(query, value)`` or ``layer(query, value, key)``."""

    spread = True

    def __call__(  # type: ignore[override]
        self, query: Tensor, value: Tensor, key: Tensor | None = None
    ) -> Tensor:
        """Call on query, value and optionally key (functional form)."""
        return super().__call__([query, value] if key is None else [query, value, key])


_CONV: dict[str, Any] = {
    "strides": 1,
    "padding": "valid",
    "data_format": "channels_last",
    "dilation_rate": 1,
    "groups": 1,
    "use_bias": True,
}
_CONV_NO_GROUPS: dict[str, Any] = {k: v for k, v in _CONV.items() if k != "groups"}
_POOL: dict[str, Any] = {"strides": None, "padding": "valid", "data_format": "channels_last"}

Conv1D = _define("Conv1D", ("filters", "kernel_size"), filters=None, kernel_size=None, **_CONV)
Conv2D = _define("Conv2D", ("filters", "kernel_size"), filters=None, kernel_size=None, **_CONV)
Conv3D = _define("Conv3D", ("filters", "kernel_size"), filters=None, kernel_size=None, **_CONV)
DepthwiseConv1D = _define(
    "DepthwiseConv1D", ("kernel_size",), kernel_size=None, depth_multiplier=1, **_CONV_NO_GROUPS
)
DepthwiseConv2D = _define(
    "DepthwiseConv2D", ("kernel_size",), kernel_size=None, depth_multiplier=1, **_CONV_NO_GROUPS
)
Dense = _define(
    "Dense", ("units",), units=None, use_bias=True, lora_rank=None, passive=("lora_alpha",)
)
MaxPooling1D = _define("MaxPooling1D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL)
MaxPooling2D = _define("MaxPooling2D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL)
MaxPooling3D = _define("MaxPooling3D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL)
AveragePooling1D = _define(
    "AveragePooling1D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL
)
AveragePooling2D = _define(
    "AveragePooling2D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL
)
AveragePooling3D = _define(
    "AveragePooling3D", ("pool_size", "strides", "padding"), pool_size=2, **_POOL
)
_GLOBAL: dict[str, Any] = {"data_format": "channels_last", "keepdims": False}
GlobalMaxPooling1D = _define("GlobalMaxPooling1D", **_GLOBAL)
GlobalMaxPooling2D = _define("GlobalMaxPooling2D", **_GLOBAL)
GlobalMaxPooling3D = _define("GlobalMaxPooling3D", **_GLOBAL)
GlobalAveragePooling1D = _define("GlobalAveragePooling1D", **_GLOBAL)
GlobalAveragePooling2D = _define("GlobalAveragePooling2D", **_GLOBAL)
GlobalAveragePooling3D = _define("GlobalAveragePooling3D", **_GLOBAL)
Flatten = _define("Flatten", data_format=None)
Reshape = _define("Reshape", ("target_shape",), target_shape=None)
Dropout = _define("Dropout", ("rate",), passive=("rate", "noise_shape"))
SpatialDropout1D = _define("SpatialDropout1D", ("rate",), passive=("rate",))
SpatialDropout2D = _define("SpatialDropout2D", ("rate",), passive=("rate", "data_format"))
SpatialDropout3D = _define("SpatialDropout3D", ("rate",), passive=("rate", "data_format"))
Activation = _define("Activation", ("activation",))
ReLU = _define("ReLU", passive=("max_value", "negative_slope", "threshold"))
LeakyReLU = _define("LeakyReLU", passive=("negative_slope",))
Softmax = _define("Softmax", passive=("axis",))
BatchNormalization = _define(
    "BatchNormalization",
    axis=-1,
    center=True,
    scale=True,
    passive=("momentum", "epsilon", "synchronized"),
)
ZeroPadding1D = _define("ZeroPadding1D", ("padding",), padding=1, data_format=None)
ZeroPadding2D = _define("ZeroPadding2D", ("padding",), padding=1, data_format=None)
ZeroPadding3D = _define("ZeroPadding3D", ("padding",), padding=1, data_format=None)
Add = _define("Add")
Subtract = _define("Subtract")
Multiply = _define("Multiply")
Average = _define("Average")
Maximum = _define("Maximum")
Minimum = _define("Minimum")
Concatenate = _define("Concatenate", ("axis",), axis=-1)

# Issue 5: every Keras layer with weights or a new shape.
_TRANSPOSE: dict[str, Any] = {**_CONV_NO_GROUPS, "output_padding": None}
_RECURRENT: dict[str, Any] = {"use_bias": True, "return_sequences": False, "return_state": False}
_RECURRENT_PASSIVE = (
    "recurrent_activation",
    "dropout",
    "recurrent_dropout",
    "go_backwards",
    "stateful",
    "unroll",
    "zero_output_for_mask",
    "unit_forget_bias",
    "use_cudnn",
)
_CONV_LSTM: dict[str, Any] = {**_CONV_NO_GROUPS, **_RECURRENT}
_SEPARABLE: dict[str, Any] = {**_CONV_NO_GROUPS, "depth_multiplier": 1}
_FILTERS_KERNEL = ("filters", "kernel_size")

Conv1DTranspose = _define(
    "Conv1DTranspose", _FILTERS_KERNEL, filters=None, kernel_size=None, **_TRANSPOSE
)
Conv2DTranspose = _define(
    "Conv2DTranspose", _FILTERS_KERNEL, filters=None, kernel_size=None, **_TRANSPOSE
)
Conv3DTranspose = _define(
    "Conv3DTranspose", _FILTERS_KERNEL, filters=None, kernel_size=None, **_TRANSPOSE
)
SeparableConv1D = _define(
    "SeparableConv1D", _FILTERS_KERNEL, filters=None, kernel_size=None, **_SEPARABLE
)
SeparableConv2D = _define(
    "SeparableConv2D", _FILTERS_KERNEL, filters=None, kernel_size=None, **_SEPARABLE
)
EinsumDense = _define(
    "EinsumDense", ("equation", "output_shape"), equation=None, output_shape=None, bias_axes=None
)
Embedding = _define(
    "Embedding",
    ("input_dim", "output_dim"),
    input_dim=None,
    output_dim=None,
    lora_rank=None,
    passive=("mask_zero", "lora_alpha"),
)
LayerNormalization = _define(
    "LayerNormalization", axis=-1, center=True, scale=True, passive=("epsilon",)
)
RMSNormalization = _define("RMSNormalization", axis=-1, passive=("epsilon",))
GroupNormalization = _define(
    "GroupNormalization", groups=32, axis=-1, center=True, scale=True, passive=("epsilon",)
)
UnitNormalization = _define("UnitNormalization", axis=-1)
SimpleRNN = _define("SimpleRNN", ("units",), units=None, **_RECURRENT, passive=_RECURRENT_PASSIVE)
LSTM = _define("LSTM", ("units",), units=None, **_RECURRENT, passive=_RECURRENT_PASSIVE)
GRU = _define(
    "GRU", ("units",), units=None, reset_after=True, **_RECURRENT, passive=_RECURRENT_PASSIVE
)
SimpleRNNCell = _define(
    "SimpleRNNCell", ("units",), units=None, use_bias=True, passive=_RECURRENT_PASSIVE
)
LSTMCell = _define("LSTMCell", ("units",), units=None, use_bias=True, passive=_RECURRENT_PASSIVE)
GRUCell = _define(
    "GRUCell", ("units",), units=None, use_bias=True, reset_after=True, passive=_RECURRENT_PASSIVE
)
StackedRNNCells = _define("StackedRNNCells", ("cells",), cells=None, base=_Nesting)
RNN = _define(
    "RNN",
    ("cell",),
    cell=None,
    return_sequences=False,
    return_state=False,
    passive=_RECURRENT_PASSIVE,
    base=_Nesting,
)
ConvLSTM1D = _define(
    "ConvLSTM1D",
    _FILTERS_KERNEL,
    filters=None,
    kernel_size=None,
    **_CONV_LSTM,
    passive=_RECURRENT_PASSIVE,
)
ConvLSTM2D = _define(
    "ConvLSTM2D",
    _FILTERS_KERNEL,
    filters=None,
    kernel_size=None,
    **_CONV_LSTM,
    passive=_RECURRENT_PASSIVE,
)
ConvLSTM3D = _define(
    "ConvLSTM3D",
    _FILTERS_KERNEL,
    filters=None,
    kernel_size=None,
    **_CONV_LSTM,
    passive=_RECURRENT_PASSIVE,
)
Bidirectional = _define(
    "Bidirectional",
    ("layer", "merge_mode"),
    layer=None,
    merge_mode="concat",
    backward_layer=None,
    base=_Nesting,
)
TimeDistributed = _define("TimeDistributed", ("layer",), layer=None, base=_Nesting)
SpectralNormalization = _define(
    "SpectralNormalization", ("layer",), layer=None, passive=("power_iterations",), base=_Nesting
)
MultiHeadAttention: type[_QueryValueKey] = _define(  # type: ignore[assignment]
    "MultiHeadAttention",
    ("num_heads", "key_dim"),
    num_heads=None,
    key_dim=None,
    value_dim=None,
    use_bias=True,
    output_shape=None,
    use_gate=None,
    passive=("dropout", "attention_axes", "sliding_window"),
    base=_QueryValueKey,
)
GroupQueryAttention: type[_QueryValueKey] = _define(  # type: ignore[assignment]
    "GroupedQueryAttention",
    ("head_dim", "num_query_heads", "num_key_value_heads"),
    head_dim=None,
    num_query_heads=None,
    num_key_value_heads=None,
    use_bias=True,
    use_gate=None,
    passive=("dropout", "sliding_window"),
    base=_QueryValueKey,
)
Attention = _define("Attention", use_scale=False, score_mode="dot", passive=("dropout",))
AdditiveAttention = _define("AdditiveAttention", use_scale=True, passive=("dropout",))
PReLU = _define("PReLU", shared_axes=None)
Normalization = _define(
    "Normalization", ("axis",), axis=-1, mean=None, variance=None, passive=("invert",)
)
Rescaling = _define("Rescaling", ("scale", "offset"), offset=0.0, passive=("scale",))
Resizing = _define(
    "Resizing",
    ("height", "width"),
    height=None,
    width=None,
    data_format=None,
    passive=(
        "interpolation",
        "crop_to_aspect_ratio",
        "pad_to_aspect_ratio",
        "fill_mode",
        "fill_value",
        "antialias",
    ),
)
CenterCrop = _define("CenterCrop", ("height", "width"), height=None, width=None, data_format=None)
RandomCrop = _define("RandomCrop", ("height", "width"), height=None, width=None, data_format=None)
RandomFlip = _define("RandomFlip", ("mode",), mode="horizontal_and_vertical")
RandomRotation = _define(
    "RandomRotation", ("factor",), passive=("factor", "fill_mode", "interpolation", "fill_value")
)
RandomZoom = _define(
    "RandomZoom",
    ("height_factor",),
    passive=("height_factor", "width_factor", "fill_mode", "interpolation", "fill_value"),
)
RandomTranslation = _define(
    "RandomTranslation",
    ("height_factor", "width_factor"),
    passive=("height_factor", "width_factor", "fill_mode", "interpolation", "fill_value"),
)
RandomContrast = _define("RandomContrast", ("factor",), passive=("factor", "value_range"))
RandomBrightness = _define("RandomBrightness", ("factor",), passive=("factor", "value_range"))
Cropping1D = _define("Cropping1D", ("cropping",), cropping=(1, 1))
Cropping2D = _define("Cropping2D", ("cropping",), cropping=((0, 0), (0, 0)), data_format=None)
Cropping3D = _define(
    "Cropping3D", ("cropping",), cropping=((1, 1), (1, 1), (1, 1)), data_format=None
)
UpSampling1D = _define("UpSampling1D", ("size",), size=2)
UpSampling2D = _define(
    "UpSampling2D", ("size",), size=(2, 2), data_format=None, passive=("interpolation",)
)
UpSampling3D = _define("UpSampling3D", ("size",), size=(2, 2, 2), data_format=None)
Permute = _define("Permute", ("dims",), dims=None)
RepeatVector = _define("RepeatVector", ("n",), n=None)
Dot = _define("Dot", ("axes",), axes=None, passive=("normalize",))
AdaptiveAveragePooling1D = _define(
    "AdaptiveAveragePooling1D", ("output_size",), output_size=None, data_format=None
)
AdaptiveAveragePooling2D = _define(
    "AdaptiveAveragePooling2D", ("output_size",), output_size=None, data_format=None
)
AdaptiveAveragePooling3D = _define(
    "AdaptiveAveragePooling3D", ("output_size",), output_size=None, data_format=None
)
AdaptiveMaxPooling1D = _define(
    "AdaptiveMaxPooling1D", ("output_size",), output_size=None, data_format=None
)
AdaptiveMaxPooling2D = _define(
    "AdaptiveMaxPooling2D", ("output_size",), output_size=None, data_format=None
)
AdaptiveMaxPooling3D = _define(
    "AdaptiveMaxPooling3D", ("output_size",), output_size=None, data_format=None
)


class Model(Layer):
    """A functional model: ``spec.Model(inputs, outputs, name=...)``, as ``keras.Model``."""

    class_name = "Functional"

    def __init__(
        self,
        inputs: Tensor | Sequence[Tensor],
        outputs: Tensor | Sequence[Tensor],
        name: str | None = None,
        *,
        trainable: bool = True,
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        where = f"Model '{name or 'functional'}'"
        for argument, value in (("inputs", inputs), ("outputs", outputs)):
            items = [value] if isinstance(value, Tensor) else value
            tensors = isinstance(items, (list, tuple)) and all(isinstance(t, Tensor) for t in items)
            if not tensors:
                raise SpecError(
                    f"{where}: {argument} must be a spec tensor (from spec.Input or a layer's "
                    f"call) or a list of them. Received: {argument}={value!r}.",
                    argument=argument,
                )
        self.inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        self.outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        _check_unique(self._members(), where)

    def _members(self) -> list[Layer]:
        """Layers reachable from the outputs, inputs first, in call order."""
        order: list[Layer] = []
        seen: set[int] = set()

        def visit(layer: Layer) -> None:
            if id(layer) in seen:
                return
            seen.add(id(layer))
            for call in layer.calls:
                for t in call:
                    visit(t.layer)
            order.append(layer)

        for t in self.inputs:
            visit(t.layer)
        for t in self.outputs:
            visit(t.layer)
        return order

    def named_layers(self) -> list[tuple[str, Layer]]:
        """The layers Keras's ``model.layers`` lists (inputs first), each with its name."""
        members = self._members()
        names = _names(members)
        return [(names[id(layer)], layer) for layer in members]

    def config(self, name: str | None = None) -> dict[str, Any]:
        """The Keras-format config (``get_config()`` of the Keras model)."""
        members = self._members()
        names = _names(members)
        calls = {id(layer): list(range(len(layer.calls))) for layer in members}

        def ref(t: Tensor) -> list[Any]:
            return [names[id(t.layer)], t.call, t.index]

        layers = []
        for layer in members:
            inbound: list[dict[str, Any]] = [
                {
                    "args": [_tensor(ref(t)) for t in call]
                    if layer.spread
                    else [[_tensor(ref(t)) for t in call]]
                    if len(call) > 1
                    else [_tensor(ref(call[0]))],
                    "kwargs": {},
                }
                for call in (layer.calls[i] for i in calls[id(layer)])
            ]
            layers.append(
                {
                    "class_name": layer.class_name,
                    "name": names[id(layer)],
                    "config": layer.config(names[id(layer)]),
                    "inbound_nodes": inbound,
                }
            )
        return {
            "name": name or self.name or "functional",
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": [ref(t) for t in self.inputs],
            "output_layers": [_output_ref(ref(t), t.layer) for t in self.outputs],
        }

    def get_config(self) -> dict[str, Any]:
        """Alias of `config` named as in Keras."""
        return self.config()

    def explain(self, *, verify: bool = False, expand: bool = False) -> Breakdown:
        """The breakdown of this model; with ``verify`` it is built in Keras and compared."""
        from cnnexplain._graph.evaluate import explain_graph  # noqa: PLC0415
        from cnnexplain._graph.model import parse_model  # noqa: PLC0415
        from cnnexplain._live.keras import build_keras_model, verify_against  # noqa: PLC0415

        graph = parse_model(self.class_name, self.config())

        def verifier(b: Breakdown) -> None:
            verify_against(b, build_keras_model(graph))

        breakdown = explain_graph(graph, expand=expand, source=self, verifier=verifier)
        if verify:
            breakdown.verify()
        return breakdown


def _output_ref(ref: list[Any], layer: Layer) -> list[Any]:
    """Keras 3 counts a nested Functional's calls from 1 in ``output_layers`` (0 is its own)."""
    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return [ref[0], ref[1] + 1, ref[2]]
    return ref


class Sequential(Model):
    """A linear stack of layers: ``spec.Sequential([spec.Input(...), ...], name=...)``.

    As in Keras, layers can also be added one by one, and the first layer may
    declare the input with ``input_shape=`` (or ``input_dim=``) instead of `Input`:

    Examples:
        >>> from cnnexplain import explain, spec
        >>> model = spec.Sequential(name="stack")
        >>> model.add(spec.Dense(16, input_shape=(8,), name="hidden"))
        >>> model.add(spec.Dense(1, name="out"))
        >>> explain(model).total
        161
    """

    class_name = "Sequential"

    def __init__(
        self,
        layers: Sequence[Layer | Tensor] | None = None,
        name: str | None = None,
        *,
        trainable: bool = True,
    ) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        self.stack: list[Layer] = []
        """The layers in order, the `InputLayer` first when the model has its input."""
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise SpecError(
                f"Sequential '{name or 'sequential'}': layers must be a list of spec layers. "
                f"Received: layers of type {type(layers).__name__}.",
                argument="layers",
            )
        for item in layers or ():
            self.add(item)
        self.inputs, self.outputs = [], []

    @property
    def layers(self) -> list[Layer]:
        """The layers in order, the `InputLayer` first when there is one (``stack``)."""
        return self.stack

    def named_layers(self) -> list[tuple[str, Layer]]:
        """The layers Keras's ``model.layers`` lists (no `InputLayer`), each with its name."""
        names = _names(self.stack)
        return [(names[id(x)], x) for x in self.stack if not isinstance(x, InputLayer)]

    def add(self, layer: Layer | Tensor) -> None:
        """Add a layer on top, as ``keras.Sequential.add``; an `Input` tensor gives its layer."""
        where = f"Sequential '{self.name or 'sequential'}'"
        item = layer
        if isinstance(layer, Tensor):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise SpecError(f"{where}: every item must be a spec layer. Received: {item!r}.")
        has_input = bool(self.stack) and isinstance(self.stack[0], InputLayer)
        if isinstance(layer, InputLayer) and has_input:
            shape = tuple(self.stack[0].kwargs["batch_shape"])
            raise SpecError(
                f"{where} already has an input of shape {shape}; it cannot take another. "
                f"Received: {item!r}."
            )
        if not self.stack and layer.input_shape_arg is not None:
            self.stack.append(Input(layer.input_shape_arg).layer)
        _check_unique([*self.stack, layer], where)
        self.stack.append(layer)

    def config(self, name: str | None = None) -> dict[str, Any]:
        """The Keras-format config (``get_config()`` of the Keras model)."""
        names = _names(self.stack)
        layers = []
        for layer in self.stack:
            entry: dict[str, Any] = {
                "class_name": layer.class_name,
                "config": layer.config(names[id(layer)]),
            }
            if isinstance(layer, Model):
                entry["config"] = layer.config(names[id(layer)])
            layers.append(entry)
        return {
            "name": name or self.name or "sequential",
            "trainable": self.trainable,
            "layers": layers,
        }


def _tensor(ref: list[Any]) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": ref}}


def _names(layers: Sequence[Layer]) -> dict[int, str]:
    """Each layer's name: its own, or Keras-style ``conv2d``, ``conv2d_1``... per model."""
    taken = {layer.name for layer in layers if layer.name}
    names: dict[int, str] = {}
    counts: dict[str, int] = {}
    for layer in layers:
        if layer.name:
            names[id(layer)] = layer.name
            continue
        base = "input_layer" if isinstance(layer, InputLayer) else _snake(layer.class_name)
        if isinstance(layer, Sequential):
            base = "sequential"
        elif isinstance(layer, Model):
            base = "functional"
        while True:
            n = counts.get(base, 0)
            counts[base] = n + 1
            candidate = base if n == 0 else f"{base}_{n}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names[id(layer)] = candidate
    return names
