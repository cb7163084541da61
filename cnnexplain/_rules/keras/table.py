"""Which module of `cnnexplain._rules` registers the rule of each layer kind.

`find_rule` reads this table to import one module when a kind is first looked
up, so explaining a small model loads only the rules it uses. A rule added to a
module needs its kind added here, in the order the module registers it;
``tests/test_api.py`` imports every rule module and prints the table to paste
if this one is not exactly what they register.
"""

from __future__ import annotations

IDENTITY = (
    "Activation",
    "ActivityRegularization",
    "AlphaDropout",
    "Dropout",
    "ELU",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "LeakyReLU",
    "Masking",
    "ReLU",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
)
"""Layers that pass their input through unchanged: no weights, the same shape."""

AUGMENTATION = (
    "AutoContrast",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Solarization",
)
"""Augmentation layers: no weights, the input's shape."""

__all__ = ["AUGMENTATION", "IDENTITY", "RULE_MODULES"]

RULE_MODULES: dict[str, tuple[str, ...]] = {
    "activations": ("PReLU",),
    "applications": ("LayerScale", "StochasticDepth"),
    "attention": (
        "MultiHeadAttention",
        "GroupedQueryAttention",
        "Attention",
        "AdditiveAttention",
    ),
    "conv": ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D"),
    "core": (
        *IDENTITY,
        "Dense",
        "Flatten",
        "Reshape",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
    ),
    "dot": ("Dot",),
    "embedding": ("Embedding",),
    "einsum": ("EinsumDense",),
    "merge": ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"),
    "norm": ("BatchNormalization",),
    "normalization_more": (
        "LayerNormalization",
        "RMSNormalization",
        "GroupNormalization",
        "UnitNormalization",
    ),
    "pooling": (
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "GlobalAveragePooling3D",
    ),
    "preprocessing": (
        "Normalization",
        "Rescaling",
        "Resizing",
        "CenterCrop",
        "RandomCrop",
        *AUGMENTATION,
    ),
    "recurrent": ("SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"),
    "reshaping": (
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "Permute",
        "RepeatVector",
        "AdaptiveAveragePooling1D",
        "AdaptiveAveragePooling2D",
        "AdaptiveAveragePooling3D",
        "AdaptiveMaxPooling1D",
        "AdaptiveMaxPooling2D",
        "AdaptiveMaxPooling3D",
    ),
    "separable": ("SeparableConv1D", "SeparableConv2D"),
    "transpose": ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"),
    "wrappers": ("TimeDistributed", "Bidirectional", "SpectralNormalization"),
}
"""Rule module (under ``cnnexplain._rules``) → the layer kinds it registers, in order."""
