"""Every layer kind spec describes: one line each, with Keras's positional and default arguments."""

from __future__ import annotations

from typing import Any

from cnnexplain.spec._layer import _define, _Nesting, _QueryValueKey

__all__ = [
    "ALIASES",
    "GRU",
    "LSTM",
    "RNN",
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
    "GRUCell",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "GroupQueryAttention",
    "LSTMCell",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RMSNormalization",
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
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "StackedRNNCells",
    "Subtract",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]


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

# Keras 3's other names for the same layers: keras.layers.MaxPool2D is MaxPooling2D
# (tests/explain_code/test_code.py checks Keras has each).
ALIASES: dict[str, str] = {
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose",
    "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
}
