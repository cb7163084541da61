"""A corpus of small models in the style of the public Keras examples (keras.io), for Keras 3.

Architectures as the examples build them (custom blocks, GANs, U-Nets,
transformers, OCR, time series, structured data with dict inputs, graphs, RL,
subclassed models, nested backbones), at toy sizes so that the whole corpus
builds in seconds. `build(keras)` returns ``{name: model}``; the custom layer
classes are registered once (package ``cnnexplain_corpus``) so every
functional model can be saved as ``.keras``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["SAVABLE", "build", "custom_classes"]

_CLASSES: dict[str, type] = {}

SAVABLE_NOT = frozenset({"subclassed_mlp", "subclassed_vit", "gan", "vocab_lookup"})
"""Models Keras cannot save as a functional ``.keras`` (subclassed, or get_config raises)."""


def custom_classes(keras: Any) -> dict[str, type]:  # noqa: C901 - one class each
    """The custom layers of the examples, defined and registered once."""
    if _CLASSES:
        return _CLASSES
    layers, ops = keras.layers, keras.ops
    register = keras.saving.register_keras_serializable(package="cnnexplain_corpus")

    @register
    class TransformerBlock(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io text_classification_with_transformer."""

        def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.embed_dim, self.num_heads, self.ff_dim = embed_dim, num_heads, ff_dim
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(0.1)
            self.dropout2 = layers.Dropout(0.1)

        def call(self, inputs: Any) -> Any:
            attn = self.dropout1(self.att(inputs, inputs))
            out1 = self.layernorm1(inputs + attn)
            return self.layernorm2(out1 + self.dropout2(self.ffn(out1)))

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "embed_dim": self.embed_dim,
                "num_heads": self.num_heads,
                "ff_dim": self.ff_dim,
            }

    @register
    class TokenAndPositionEmbedding(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io text_classification_with_transformer."""

        def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x: Any) -> Any:
            positions = self.pos_emb(ops.arange(0, ops.shape(x)[-1], 1))
            return self.token_emb(x) + positions

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "maxlen": self.maxlen,
                "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim,
            }

    @register
    class Patches(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io image_classification_with_vision_transformer: no weights."""

        def __init__(self, patch_size: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, images: Any) -> Any:
            patches = ops.image.extract_patches(images, size=self.patch_size)
            b, h, w, c = ops.shape(patches)
            return ops.reshape(patches, (b, h * w, c))

        def compute_output_shape(self, shape: Any) -> Any:
            n = (shape[1] // self.patch_size) * (shape[2] // self.patch_size)
            return (shape[0], n, self.patch_size * self.patch_size * shape[3])

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "patch_size": self.patch_size}

    @register
    class PatchEncoder(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io image_classification_with_vision_transformer."""

        def __init__(self, num_patches: int, projection_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.num_patches, self.projection_dim = num_patches, projection_dim
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(
                input_dim=num_patches, output_dim=projection_dim
            )

        def call(self, patch: Any) -> Any:
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), 0)
            return self.projection(patch) + self.position_embedding(positions)

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "num_patches": self.num_patches,
                "projection_dim": self.projection_dim,
            }

    @register
    class ResidualBlock(layers.Layer):  # type: ignore[misc,name-defined]
        """A residual block as a layer: two convolutions, batch norm, a skip."""

        def __init__(self, filters: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.filters = filters
            self.conv1 = layers.Conv2D(filters, 3, padding="same")
            self.bn1 = layers.BatchNormalization()
            self.conv2 = layers.Conv2D(filters, 3, padding="same")
            self.bn2 = layers.BatchNormalization()

        def call(self, x: Any) -> Any:
            h = ops.relu(self.bn1(self.conv1(x)))
            return ops.relu(x + self.bn2(self.conv2(h)))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "filters": self.filters}

    @register
    class StandardizedConv2D(layers.Conv2D):  # type: ignore[misc,name-defined]
        """keras.io subclassing_conv_layers: Conv2D's own weights, a different call."""

        def convolution_op(self, inputs: Any, kernel: Any) -> Any:
            mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return ops.conv(
                inputs, (kernel - mean) / ops.sqrt(var + 1e-10), padding="valid", strides=1
            )

    @register
    class Linear(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io making_new_layers_and_models_via_subclassing: weights of its own."""

        def __init__(self, units: int = 32, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs: Any) -> Any:
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units}

    @register
    class MLPBlock(layers.Layer):  # type: ignore[misc,name-defined]
        """Sublayers in a list, and a Linear inside: tracked recursively."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.linears = [Linear(16), Linear(16)]
            self.out = layers.Dense(1)

        def call(self, x: Any) -> Any:
            for linear in self.linears:
                x = ops.relu(linear(x))
            return self.out(x)

    @register
    class Sampling(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io variational_autoencoder: no weights."""

        def call(self, inputs: Any) -> Any:
            z_mean, z_log_var = inputs
            eps = keras.random.normal(shape=ops.shape(z_mean))
            return z_mean + ops.exp(0.5 * z_log_var) * eps

    @register
    class CTCLayer(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io captcha_ocr: adds a loss, returns the predictions."""

        def call(self, y_true: Any, y_pred: Any) -> Any:
            del y_true
            return y_pred

    @register
    class GraphConvLayer(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io gnn_citations (simplified): a Dense over neighbour-averaged features."""

        def __init__(self, units: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units
            self.ffn = keras.Sequential([layers.Dense(units, activation="gelu")])

        def call(self, inputs: Any) -> Any:
            nodes, adjacency = inputs
            return self.ffn(ops.matmul(adjacency, nodes))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units}

    @register
    class LayerScaleBlock(layers.Layer):  # type: ignore[misc,name-defined]
        """A ConvNeXt-style block: depthwise conv, norm, MLP, a learned scale of its own."""

        def __init__(self, dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.dim = dim
            self.dw = layers.DepthwiseConv2D(7, padding="same")
            self.norm = layers.LayerNormalization(epsilon=1e-6)
            self.pw1 = layers.Dense(4 * dim)
            self.pw2 = layers.Dense(dim)

        def build(self, input_shape: Any) -> None:
            del input_shape
            self.gamma = self.add_weight(shape=(self.dim,), initializer="ones", name="gamma")

        def call(self, x: Any) -> Any:
            h = self.pw2(ops.gelu(self.pw1(self.norm(self.dw(x)))))
            return x + self.gamma * h

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "dim": self.dim}

    @register
    class SinusoidalEmbedding(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io ddim: no weights."""

        def call(self, x: Any) -> Any:
            freqs = ops.exp(ops.linspace(0.0, 3.0, 4))
            return ops.concatenate([ops.sin(x * freqs), ops.cos(x * freqs)], axis=-1)

        def compute_output_shape(self, shape: Any) -> Any:
            return (*shape[:-1], 8)

    @register
    class EncoderWithBackbone(layers.Layer):  # type: ignore[misc,name-defined]
        """A layer holding a functional model as a sublayer."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            x = keras.Input((8,))
            self.backbone = keras.Model(x, layers.Dense(4)(layers.Dense(8)(x)))
            self.head = layers.Dense(2)

        def call(self, x: Any) -> Any:
            return self.head(self.backbone(x))

    @register
    class MinimalRNNCell(layers.Layer):  # type: ignore[misc,name-defined]
        """keras.io working_with_rnns: a cell for keras.layers.RNN."""

        def __init__(self, units: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name="recurrent_kernel"
            )

        def call(self, inputs: Any, states: Any) -> Any:
            h = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return h, [h]

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "units": self.units}

    @register
    class LazyHead(layers.Layer):  # type: ignore[misc,name-defined]
        """Creates its sublayers in build(), sized from the input."""

        def build(self, input_shape: Any) -> None:
            self.expand = layers.Dense(2 * input_shape[-1])
            self.squeeze = layers.Dense(1)

        def call(self, x: Any) -> Any:
            return self.squeeze(ops.relu(self.expand(x)))

    @register
    class ContrastiveTrainer(keras.Model):  # type: ignore[misc]
        """A functional model whose class only overrides train_step."""

        def train_step(self, data: Any) -> Any:
            return super().train_step(data)

    _CLASSES.update(
        {
            cls.__name__: cls
            for cls in (
                TransformerBlock,
                TokenAndPositionEmbedding,
                Patches,
                PatchEncoder,
                ResidualBlock,
                StandardizedConv2D,
                Linear,
                MLPBlock,
                Sampling,
                CTCLayer,
                GraphConvLayer,
                LayerScaleBlock,
                SinusoidalEmbedding,
                EncoderWithBackbone,
                MinimalRNNCell,
                LazyHead,
                ContrastiveTrainer,
            )
        }
    )
    return _CLASSES


# --- the models ------------------------------------------------------------------------------


def _text_transformer(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((12,), dtype="int32")
    h = c["TokenAndPositionEmbedding"](12, 50, 16)(x)
    h = c["TransformerBlock"](16, 2, 16)(h)
    h = layers.Dropout(0.1)(layers.GlobalAveragePooling1D()(h))
    h = layers.Dense(8, activation="relu")(h)
    return keras.Model(x, layers.Dense(2, activation="softmax")(h), name="text_transformer")


def _vit(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((16, 16, 3))
    patches = c["Patches"](4)(x)
    h = c["PatchEncoder"](16, 12)(patches)
    for _ in range(2):
        n1 = layers.LayerNormalization(epsilon=1e-6)(h)
        att = layers.MultiHeadAttention(num_heads=2, key_dim=12, dropout=0.1)(n1, n1)
        h2 = layers.Add()([att, h])
        n2 = layers.LayerNormalization(epsilon=1e-6)(h2)
        mlp = layers.Dense(24, activation="gelu")(n2)
        mlp = layers.Dense(12)(layers.Dropout(0.1)(mlp))
        h = layers.Add()([mlp, h2])
    h = layers.Flatten()(layers.LayerNormalization(epsilon=1e-6)(h))
    return keras.Model(x, layers.Dense(10)(layers.Dropout(0.5)(h)), name="vit")


def _mnist_convnet(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ],
        name="mnist_convnet",
    )


def _residual_net(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((16, 16, 3))
    h = layers.Conv2D(8, 3, padding="same")(x)
    h = c["ResidualBlock"](8)(h)
    h = c["ResidualBlock"](8)(h)
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, layers.Dense(5)(h), name="residual_net")


def _standardized_conv(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            c["StandardizedConv2D"](8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            c["StandardizedConv2D"](8, 3),
            layers.Flatten(),
            layers.Dense(4),
        ],
        name="standardized_conv",
    )


def _dcgan_generator(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((16,)),
            layers.Dense(4 * 4 * 16),
            layers.Reshape((4, 4, 16)),
            layers.Conv2DTranspose(16, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(8, 4, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(3, 5, padding="same", activation="sigmoid"),
        ],
        name="dcgan_generator",
    )


def _dcgan_discriminator(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            layers.Conv2D(8, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(16, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="dcgan_discriminator",
    )


def _gan(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io dcgan_overriding_train_step: a subclassed model holding two models."""

    class GAN(keras.Model):  # type: ignore[misc]
        def __init__(self, discriminator: Any, generator: Any) -> None:
            super().__init__(name="gan")
            self.discriminator = discriminator
            self.generator = generator

        def call(self, z: Any) -> Any:
            return self.discriminator(self.generator(z))

    gan = GAN(_dcgan_discriminator(keras, c), _dcgan_generator(keras, c))
    gan(keras.ops.zeros((1, 16)))
    return gan


def _unet(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((16, 16, 3))
    c1 = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    p1 = layers.MaxPooling2D(2)(c1)
    c2 = layers.Conv2D(16, 3, padding="same", activation="relu")(p1)
    p2 = layers.MaxPooling2D(2)(c2)
    b = layers.Conv2D(32, 3, padding="same", activation="relu")(p2)
    u2 = layers.Conv2DTranspose(16, 2, strides=2, padding="same")(b)
    c3 = layers.Conv2D(16, 3, padding="same")(layers.Concatenate()([u2, c2]))
    u1 = layers.Conv2DTranspose(8, 2, strides=2, padding="same")(c3)
    c4 = layers.Conv2D(8, 3, padding="same")(layers.Concatenate()([u1, c1]))
    return keras.Model(x, layers.Conv2D(2, 1, activation="softmax")(c4), name="unet")


def _conv_autoencoder(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((16, 16, 1))
    h = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
    h = layers.MaxPooling2D(2, padding="same")(h)
    h = layers.Conv2D(8, 3, activation="relu", padding="same")(h)
    h = layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same")(h)
    out = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)
    return keras.Model(x, out, name="conv_autoencoder")


def _vae_encoder(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((16, 16, 1))
    h = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(x)
    h = layers.Flatten()(layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(h))
    h = layers.Dense(16, activation="relu")(h)
    z_mean = layers.Dense(2, name="z_mean")(h)
    z_log_var = layers.Dense(2, name="z_log_var")(h)
    z = c["Sampling"]()([z_mean, z_log_var])
    return keras.Model(x, [z_mean, z_log_var, z], name="vae_encoder")


def _vae_decoder(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    z = keras.Input((2,))
    h = layers.Reshape((4, 4, 16))(layers.Dense(4 * 4 * 16, activation="relu")(z))
    h = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same")(h)
    out = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
    return keras.Model(z, out, name="vae_decoder")


def _ocr_crnn(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    image = keras.Input((32, 8, 1), name="image")
    labels = keras.Input((None,), dtype="float32", name="label")
    h = layers.Conv2D(8, 3, activation="relu", padding="same")(image)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Conv2D(8, 3, activation="relu", padding="same")(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Reshape((8, 2 * 8))(h)
    h = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(h))
    h = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=0.25))(h)
    h = layers.Bidirectional(layers.LSTM(4, return_sequences=True, dropout=0.25))(h)
    h = layers.Dense(11, activation="softmax")(h)
    out = c["CTCLayer"](name="ctc_loss")(labels, h)
    return keras.Model([image, labels], out, name="ocr_crnn")


def _timeseries_conv(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((50, 1))
    h = x
    for _ in range(2):
        h = layers.ReLU()(layers.BatchNormalization()(layers.Conv1D(8, 3, padding="same")(h)))
    h = layers.GlobalAveragePooling1D()(h)
    return keras.Model(x, layers.Dense(2, activation="softmax")(h), name="timeseries_conv")


def _timeseries_transformer(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((20, 3))
    h = x
    for _ in range(2):
        n = layers.LayerNormalization(epsilon=1e-6)(h)
        n = layers.MultiHeadAttention(key_dim=8, num_heads=2, dropout=0.1)(n, n)
        res = layers.Dropout(0.1)(n) + h
        n = layers.LayerNormalization(epsilon=1e-6)(res)
        n = layers.Conv1D(filters=4, kernel_size=1, activation="relu")(n)
        n = layers.Conv1D(filters=3, kernel_size=1)(layers.Dropout(0.1)(n))
        h = n + res
    h = layers.GlobalAveragePooling1D(data_format="channels_last")(h)
    h = layers.Dense(8, activation="relu")(h)
    return keras.Model(x, layers.Dense(2, activation="softmax")(h), name="timeseries_transformer")


def _weather_lstm(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((24, 7))
    return keras.Model(x, layers.Dense(1)(layers.LSTM(8)(x)), name="weather_lstm")


def _structured_dict(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io structured_data_classification: one input per feature, a dict."""
    del c
    layers = keras.layers
    age = keras.Input((1,), name="age")
    chol = keras.Input((1,), name="chol")
    thal = keras.Input((1,), dtype="int32", name="thal")
    numeric = layers.Concatenate()([age, chol])
    numeric = layers.Normalization(mean=0.0, variance=1.0)(numeric)
    thal_emb = layers.Flatten()(layers.Embedding(5, 3)(thal))
    h = layers.Dense(16, activation="relu")(layers.Concatenate()([numeric, thal_emb]))
    out = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.5)(h))
    return keras.Model({"age": age, "chol": chol, "thal": thal}, out, name="structured_dict")


def _wide_deep(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io wide_deep_cross_networks: dict inputs, two towers, a dict output."""
    del c
    layers = keras.layers
    inputs = {
        "elevation": keras.Input((1,), name="elevation"),
        "soil": keras.Input((1,), dtype="int32", name="soil"),
    }
    wide = layers.Dense(4)(inputs["elevation"])
    deep = layers.Flatten()(layers.Embedding(10, 4)(inputs["soil"]))
    deep = layers.Dense(8, activation="relu")(layers.Concatenate()([deep, inputs["elevation"]]))
    merged = layers.Concatenate()([wide, deep])
    out = {"cover": layers.Dense(3, activation="softmax")(merged), "aux": layers.Dense(1)(deep)}
    return keras.Model(inputs, out, name="wide_deep")


def _gnn(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    nodes = keras.Input((6, 5), name="node_features")
    adjacency = keras.Input((6, 6), name="adjacency")
    h = c["GraphConvLayer"](8)([nodes, adjacency])
    h = c["GraphConvLayer"](8)([h, adjacency])
    return keras.Model([nodes, adjacency], layers.Dense(3)(h), name="gnn")


def _actor_critic(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((4,))
    common = layers.Dense(16, activation="relu")(x)
    action = layers.Dense(2, activation="softmax")(common)
    critic = layers.Dense(1)(common)
    return keras.Model(x, [action, critic], name="actor_critic")


def _dqn(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((20, 20, 4))
    h = layers.Conv2D(8, 4, strides=2, activation="relu")(x)
    h = layers.Conv2D(8, 3, strides=1, activation="relu")(h)
    h = layers.Dense(16, activation="relu")(layers.Flatten()(h))
    return keras.Model(x, layers.Dense(4, activation="linear")(h), name="dqn")


def _subclassed_mlp(keras: Any, c: dict[str, Any]) -> Any:
    """A subclassed model with call: no graph, sublayers explained one by one."""
    del c
    layers = keras.layers

    class MLP(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="subclassed_mlp")
            self.embed = layers.Embedding(20, 8)
            self.pool = layers.GlobalAveragePooling1D()
            self.hidden = layers.Dense(16, activation="relu")
            self.out = layers.Dense(3)

        def call(self, x: Any) -> Any:
            return self.out(self.hidden(self.pool(self.embed(x))))

    model = MLP()
    model(keras.ops.zeros((1, 5), dtype="int32"))
    return model


def _subclassed_vit(keras: Any, c: dict[str, Any]) -> Any:
    """A subclassed model with custom blocks and a class token of its own."""
    layers = keras.layers

    class TinyViT(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="subclassed_vit")
            self.patches = c["Patches"](4)
            self.encode = c["PatchEncoder"](16, 8)
            self.block = c["TransformerBlock"](8, 2, 16)
            self.head = layers.Dense(3)

        def build(self, input_shape: Any) -> None:
            del input_shape
            self.cls_token = self.add_weight(shape=(1, 1, 8), name="cls_token")

        def call(self, x: Any) -> Any:
            h = self.block(self.encode(self.patches(x)))
            return self.head(keras.ops.mean(h, axis=1) + keras.ops.squeeze(self.cls_token, 1))

    model = TinyViT()
    model(keras.ops.zeros((1, 16, 16, 3)))
    return model


def _small_backbone(keras: Any, name: str) -> Any:
    layers = keras.layers
    x = keras.Input((16, 16, 3))
    h = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    h = layers.ReLU(6.0)(layers.BatchNormalization()(h))
    h = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
    h = layers.ReLU(6.0)(layers.BatchNormalization()(h))
    h = layers.Conv2D(16, 1, use_bias=False)(h)
    return keras.Model(x, layers.BatchNormalization()(h), name=name)


def _backbone_as_output(keras: Any, c: dict[str, Any]) -> Any:
    del c
    x = keras.Input((16, 16, 3))
    backbone = _small_backbone(keras, "backbone")
    return keras.Model(x, backbone(x), name="backbone_as_output")


def _transfer_classifier(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io transfer_learning: a frozen backbone, augmentation, a new head."""
    del c
    layers = keras.layers
    backbone = _small_backbone(keras, "frozen_backbone")
    backbone.trainable = False
    x = keras.Input((16, 16, 3))
    h = layers.RandomFlip("horizontal")(x)
    h = layers.Rescaling(1.0 / 255)(h)
    h = layers.GlobalAveragePooling2D()(backbone(h, training=False))
    return keras.Model(x, layers.Dense(1)(layers.Dropout(0.2)(h)), name="transfer_classifier")


def _siamese(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io siamese_network: one embedding model called on two inputs."""
    del c
    layers = keras.layers
    i = keras.Input((8, 8, 1))
    emb = layers.Dense(8)(layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(i)))
    embedding = keras.Model(i, emb, name="embedding")
    a, b = keras.Input((8, 8, 1), name="left"), keras.Input((8, 8, 1), name="right")
    diff = layers.Subtract()([embedding(a), embedding(b)])
    norm = layers.BatchNormalization()(diff)
    return keras.Model([a, b], layers.Dense(1, activation="sigmoid")(norm), name="siamese")


def _seq2seq(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io lstm_seq2seq: encoder states feed the decoder."""
    del c
    layers = keras.layers
    enc_in = keras.Input((None, 10), name="encoder_inputs")
    _, h, s = layers.LSTM(16, return_state=True)(enc_in)
    dec_in = keras.Input((None, 12), name="decoder_inputs")
    dec = layers.LSTM(16, return_sequences=True, return_state=True)
    dec_out, _, _ = dec(dec_in, initial_state=[h, s])
    out = layers.Dense(12, activation="softmax")(dec_out)
    return keras.Model([enc_in, dec_in], out, name="seq2seq")


def _bilstm_text(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    x = keras.Input((None,), dtype="int32")
    h = layers.Embedding(100, 8)(x)
    h = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(h)
    h = layers.Bidirectional(layers.LSTM(8))(h)
    return keras.Model(x, layers.Dense(1, activation="sigmoid")(h), name="bilstm_text")


def _attention_scores(keras: Any, c: dict[str, Any]) -> Any:
    del c
    layers = keras.layers
    q = keras.Input((6, 8), name="query")
    v = keras.Input((7, 8), name="value")
    out, scores = layers.MultiHeadAttention(2, 4)(q, v, return_attention_scores=True)
    pooled = layers.GlobalAveragePooling1D()(out)
    return keras.Model([q, v], [layers.Dense(3)(pooled), scores], name="attention_scores")


def _conv_lstm(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io conv_lstm: next-frame prediction."""
    del c
    layers = keras.layers
    x = keras.Input((None, 8, 8, 1))
    h = layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True)(x)
    h = layers.BatchNormalization()(h)
    out = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(h)
    return keras.Model(x, out, name="conv_lstm")


def _augmented_convnet(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io image_classification_from_scratch: augmentation, separable convs, residuals."""
    del c
    layers = keras.layers
    x = keras.Input((16, 16, 3))
    h = layers.RandomRotation(0.1)(layers.RandomFlip("horizontal")(x))
    h = layers.Rescaling(1.0 / 255)(h)
    h = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, strides=2)(h)))
    previous = h
    h = layers.SeparableConv2D(16, 3, padding="same")(h)
    h = layers.MaxPooling2D(3, strides=2, padding="same")(layers.BatchNormalization()(h))
    residual = layers.Conv2D(16, 1, strides=2, padding="same")(previous)
    h = layers.add([h, residual])
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, layers.Dense(1)(layers.Dropout(0.25)(h)), name="augmented_convnet")


def _mlp_block(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((6,))
    h = c["MLPBlock"]()(layers.Dense(6)(x))
    return keras.Model(x, h, name="mlp_block")


def _convnext_block(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((8, 8, 3))
    h = layers.Conv2D(8, 2, strides=2)(x)
    h = c["LayerScaleBlock"](8)(h)
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, layers.Dense(4)(h), name="convnext_block")


def _diffusion_unet(keras: Any, c: dict[str, Any]) -> Any:
    """keras.io ddim (tiny): noisy images and noise variances, an embedding, a U."""
    layers = keras.layers
    images = keras.Input((8, 8, 3), name="noisy_images")
    variances = keras.Input((1, 1, 1), name="noise_variances")
    e = c["SinusoidalEmbedding"]()(variances)
    e = layers.UpSampling2D(size=8, interpolation="nearest")(e)
    h = layers.Concatenate()([layers.Conv2D(8, 1)(images), e])
    skip = h
    h = layers.AveragePooling2D(2)(layers.Conv2D(16, 3, padding="same", activation="swish")(h))
    h = layers.UpSampling2D(2, interpolation="bilinear")(h)
    h = layers.Concatenate()([h, skip])
    out = layers.Conv2D(3, 1, kernel_initializer="zeros")(h)
    return keras.Model([images, variances], out, name="diffusion_unet")


def _custom_backbone_layer(keras: Any, c: dict[str, Any]) -> Any:
    x = keras.Input((8,))
    return keras.Model(x, c["EncoderWithBackbone"]()(x), name="custom_backbone_layer")


def _contrastive(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((10,))
    h = layers.Dense(8, activation="relu")(x)
    return c["ContrastiveTrainer"](x, layers.Dense(4)(h), name="contrastive")


def _linear_layers(keras: Any, c: dict[str, Any]) -> Any:
    x = keras.Input((5,))
    return keras.Model(x, c["Linear"](3)(c["Linear"](4)(x)), name="linear_layers")


def _custom_rnn(keras: Any, c: dict[str, Any]) -> Any:
    layers = keras.layers
    x = keras.Input((None, 5))
    h = layers.RNN(c["MinimalRNNCell"](6))(x)
    return keras.Model(x, c["LazyHead"]()(h), name="custom_rnn")


class _Vocabulary:
    size = 12


def _vocab_lookup(keras: Any, c: dict[str, Any]) -> Any:
    """A layer whose constructor takes a Python object: its get_config raises."""
    del c
    layers = keras.layers

    class Lookup(layers.Layer):  # type: ignore[misc,name-defined]
        def __init__(self, vocabulary: _Vocabulary, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.table = layers.Embedding(vocabulary.size, 4)

        def call(self, x: Any) -> Any:
            return self.table(x)

        def get_config(self) -> dict[str, Any]:
            raise NotImplementedError

    x = keras.Input((5,), dtype="int32")
    h = layers.GlobalAveragePooling1D()(Lookup(_Vocabulary())(x))
    return keras.Model(x, layers.Dense(2)(h), name="vocab_lookup")


_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "text_transformer": _text_transformer,
    "vit": _vit,
    "mnist_convnet": _mnist_convnet,
    "residual_net": _residual_net,
    "standardized_conv": _standardized_conv,
    "dcgan_generator": _dcgan_generator,
    "dcgan_discriminator": _dcgan_discriminator,
    "gan": _gan,
    "unet": _unet,
    "conv_autoencoder": _conv_autoencoder,
    "vae_encoder": _vae_encoder,
    "vae_decoder": _vae_decoder,
    "ocr_crnn": _ocr_crnn,
    "timeseries_conv": _timeseries_conv,
    "timeseries_transformer": _timeseries_transformer,
    "weather_lstm": _weather_lstm,
    "structured_dict": _structured_dict,
    "wide_deep": _wide_deep,
    "gnn": _gnn,
    "actor_critic": _actor_critic,
    "dqn": _dqn,
    "subclassed_mlp": _subclassed_mlp,
    "subclassed_vit": _subclassed_vit,
    "backbone_as_output": _backbone_as_output,
    "transfer_classifier": _transfer_classifier,
    "siamese": _siamese,
    "seq2seq": _seq2seq,
    "bilstm_text": _bilstm_text,
    "attention_scores": _attention_scores,
    "conv_lstm": _conv_lstm,
    "augmented_convnet": _augmented_convnet,
    "mlp_block": _mlp_block,
    "convnext_block": _convnext_block,
    "diffusion_unet": _diffusion_unet,
    "custom_backbone_layer": _custom_backbone_layer,
    "contrastive": _contrastive,
    "linear_layers": _linear_layers,
    "vocab_lookup": _vocab_lookup,
    "custom_rnn": _custom_rnn,
}

NAMES = tuple(_BUILDERS)
"""Every corpus model's name."""

SAVABLE = tuple(n for n in NAMES if n not in SAVABLE_NOT)
"""The models Keras saves as functional ``.keras`` files."""


def build(keras: Any) -> dict[str, Any]:
    """Every corpus model, built (Keras names each layer; models are named after the entry)."""
    classes = custom_classes(keras)
    return {name: builder(keras, classes) for name, builder in _BUILDERS.items()}
