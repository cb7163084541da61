"""Write real legacy Keras files with tf_keras (Keras 2), and what tf_keras counts in them.

Run as a script in its own process (tf_keras and Keras 3 must not share one)::

    python tests/support/legacy_models.py OUT_DIR

It writes, for each model, ``OUT_DIR/<name>.h5`` (``model.save(..., save_format="h5")``)
and, for most, the SavedModel directory ``OUT_DIR/<name>_savedmodel``; then
``OUT_DIR/oracle.json``: per model, tf_keras's ``count_params()``, trainable count
and, per layer, its count and output shape. Weights-only files are written too
(``seed.weights.h5`` in the Keras 3 layout, ``seed_weights.h5`` in Keras 2's).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

SAVEDMODELS = ("seed", "nested", "custom_last", "trained")
"""The models also saved as SavedModel directories (tracing the zoo or ResNet50 takes a minute)."""


def _models(keras: Any, tf: Any) -> dict[str, Any]:
    layers = keras.layers

    class Scale(keras.layers.Layer):  # type: ignore[misc]
        """A custom layer: a kernel and a scalar, no rule in cnnexplain."""

        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 3))
            self.offset = self.add_weight(name="offset", shape=())

        def call(self, inputs: Any) -> Any:
            return tf.matmul(inputs, self.kernel) + self.offset

    seed = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv"),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(100, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="output"),
        ],
        name="mnist",
    )
    x = keras.Input((8,), name="x")
    shared = layers.Dense(8, name="shared")
    y = shared(shared(x))
    z = layers.Dense(8, name="frozen", trainable=False)(x)
    added = layers.Add(name="add")([y, z])
    inner = keras.Sequential(
        [
            keras.Input((8,)),
            layers.Dense(4, name="inner_dense"),
            layers.BatchNormalization(name="inner_norm"),
        ],
        name="inner",
    )
    nested = keras.Model(x, inner(added), name="nested")

    x = keras.Input((6,), name="x")
    h = layers.Dense(5, name="before")(x)
    custom_last = keras.Model(x, Scale(name="scale")(h), name="custom_last")
    custom_mid = keras.Model(
        x, layers.Dense(2, name="after")(Scale(name="scale")(h)), name="custom_mid"
    )

    image = keras.Input((16, 16, 3), name="image")
    c = layers.Conv2D(8, 3, padding="same", name="conv")(image)
    c = layers.BatchNormalization(name="bn")(c)
    c = layers.SeparableConv2D(8, 3, name="sep")(c)
    c = layers.DepthwiseConv2D(3, name="depthwise")(c)
    c = layers.Conv2DTranspose(4, 3, strides=2, name="up")(c)
    c = layers.ZeroPadding2D(1, name="pad")(c)
    c = layers.GlobalAveragePooling2D(name="gap")(c)
    tokens = keras.Input((10,), name="tokens")
    e = layers.Embedding(50, 8, name="embed")(tokens)
    e = layers.MultiHeadAttention(2, 4, name="mha")(e, e)
    e = layers.LayerNormalization(name="ln")(e)
    e = layers.Bidirectional(layers.LSTM(6, return_sequences=True), name="bilstm")(e)
    e = layers.GRU(5, name="gru")(e)
    e = layers.Dropout(0.1, name="drop")(e)
    merged = layers.Concatenate(name="concat")([c, e])
    doubled = merged * 2.0
    zoo = keras.Model([image, tokens], layers.Dense(3, name="out")(doubled), name="zoo")

    resnet = keras.applications.ResNet50(weights=None)
    trained = keras.Sequential(
        [keras.Input((8,)), layers.Dense(4, name="hidden"), layers.Dense(1, name="out")],
        name="trained",
    )  # its files also hold the optimizer's state
    trained.compile(optimizer="adam", loss="mse")
    trained.fit(tf.zeros((4, 8)), tf.zeros((4, 1)), verbose=0)
    return {
        "seed": seed,
        "nested": nested,
        "custom_last": custom_last,
        "custom_mid": custom_mid,
        "zoo": zoo,
        "ResNet50": resnet,
        "trained": trained,
    }


def _layer_models(keras: Any, tf: Any) -> dict[str, Any]:  # noqa: PLR0915 - a line per kind
    """One small functional model per layer kind cnnexplain has a rule for, as tf_keras writes it.

    Their configs carry Keras 2's spellings of each layer's arguments, and ``tf.*``
    functions (``TFOpLambda``, ``SlicingOpLambda``) for ``keras.ops`` calls.
    """
    L = keras.layers  # noqa: N806 - the Keras convention
    models: dict[str, Any] = {}

    def add(name: str, shape: tuple[int, ...], build: Any) -> None:
        x = keras.Input(shape, name="x")
        models[f"layer_{name}"] = keras.Model(x, build(x), name=name)

    add("conv1d", (20, 3), L.Conv1D(4, 3, strides=2, padding="same", dilation_rate=1))
    add("conv3d", (8, 8, 8, 2), L.Conv3D(4, 3))
    add("conv1dT", (10, 3), L.Conv1DTranspose(4, 3, strides=2))
    add("conv3dT", (4, 4, 4, 2), L.Conv3DTranspose(3, 2, strides=2))
    add("sep1d", (20, 3), L.SeparableConv1D(4, 3, depth_multiplier=2))
    add("dw1d", (20, 3), L.DepthwiseConv1D(3, depth_multiplier=2))
    add("conv2d_groups", (8, 8, 4), L.Conv2D(8, 3, groups=2))
    add("conv2d_cf", (3, 8, 8), L.Conv2D(4, 3, data_format="channels_first"))
    add("embed_mask", (7,), lambda x: L.LSTM(4)(L.Embedding(30, 6, mask_zero=True)(x)))
    add("simplernn", (5, 3), L.SimpleRNN(4, return_sequences=True))
    add("gru_reset", (5, 3), L.GRU(4, reset_after=False))
    add("lstm_state", (5, 3), lambda x: L.LSTM(4, return_state=True)(x)[0])
    add("convlstm", (3, 8, 8, 2), L.ConvLSTM2D(4, 3))
    add("timedist", (5, 6), L.TimeDistributed(L.Dense(3)))
    add("bidi_gru", (5, 6), L.Bidirectional(L.GRU(3), merge_mode="sum"))
    add("attention", (5, 6), lambda x: L.Attention()([x, x]))
    add("add_attention", (5, 6), lambda x: L.AdditiveAttention()([x, x]))
    add("mha_axes", (4, 4, 6), lambda x: L.MultiHeadAttention(2, 3, attention_axes=(1, 2))(x, x))
    add("groupnorm", (8, 8, 4), L.GroupNormalization(2))
    add("unitnorm", (6,), L.UnitNormalization())
    add("layernorm_axes", (4, 6), L.LayerNormalization(axis=[1, 2]))
    add("bn_cf", (3, 8, 8), L.BatchNormalization(axis=1))
    add("prelu", (8, 8, 3), L.PReLU(shared_axes=[1, 2]))
    add(
        "acts",
        (6,),
        lambda x: L.ThresholdedReLU()(L.ELU()(L.LeakyReLU()(L.ReLU()(L.Softmax()(x))))),
    )
    add(
        "rescale",
        (8, 8, 3),
        lambda x: L.CenterCrop(4, 4)(L.Resizing(6, 6)(L.Rescaling(1 / 255)(x))),
    )
    add(
        "crop_pad",
        (10, 10, 3),
        lambda x: L.UpSampling2D(2)(
            L.ZeroPadding2D(((1, 2), (0, 1)))(L.Cropping2D(((1, 1), (2, 0)))(x))
        ),
    )
    add("crop1d", (10, 3), lambda x: L.UpSampling1D(2)(L.ZeroPadding1D(2)(L.Cropping1D(1)(x))))
    add("pad3d", (4, 4, 4, 2), lambda x: L.UpSampling3D(2)(L.ZeroPadding3D(1)(L.Cropping3D(1)(x))))
    add(
        "reshape", (12,), lambda x: L.Permute((2, 1))(L.Reshape((3, 4))(L.RepeatVector(2)(x)[:, 0]))
    )
    add("repeat", (12,), lambda x: L.Flatten()(L.RepeatVector(3)(x)))
    add("masking", (5, 3), lambda x: L.GlobalMaxPooling1D()(L.Masking()(x)))
    add("noise", (8, 8, 3), lambda x: L.GaussianNoise(0.1)(L.SpatialDropout2D(0.1)(x)))
    add(
        "pools",
        (16, 16, 3),
        lambda x: L.GlobalAveragePooling2D(keepdims=True)(
            L.AveragePooling2D(3, strides=2, padding="same")(x)
        ),
    )
    add("pool1d", (16, 3), lambda x: L.AveragePooling1D(2)(L.MaxPooling1D(2)(x)))
    add(
        "pool3d",
        (8, 8, 8, 2),
        lambda x: L.GlobalMaxPooling3D()(L.AveragePooling3D(2)(L.MaxPooling3D(2)(x))),
    )
    add(
        "merges",
        (6,),
        lambda x: L.Concatenate(axis=-1)(
            [
                L.Multiply()([x, x]),
                L.Subtract()([x, x]),
                L.Average()([x, x]),
                L.Maximum()([x, x]),
                L.Minimum()([x, x]),
            ]
        ),
    )
    add("dot", (6,), lambda x: L.Dot(axes=1)([L.Dense(4)(x), L.Dense(4)(x)]))
    add("dense3d", (5, 6), L.Dense(3))
    add(
        "einsum",
        (5, 6),
        L.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="d"),
    )
    add("norm", (4,), L.Normalization(mean=0.0, variance=1.0))
    add("norm_adapt", (4,), L.Normalization(axis=-1))
    add("actreg", (4,), lambda x: L.ActivityRegularization(0.1)(L.Dropout(0.2)(x)))
    add("seq_in_func", (6,), keras.Sequential([L.Dense(4), L.Dense(2)], name="seqi"))
    add(
        "tfops",
        (8, 4),
        lambda x: tf.reduce_mean(tf.reshape(L.Dense(6)(x) * 2.0, (-1, 4, 12)), axis=1) + 1.0,
    )
    add("tfops2", (8, 4), lambda x: tf.concat([x[:, 0, :], tf.reduce_max(x, axis=1)], axis=-1))
    add(
        "tfops3",
        (8, 4),
        lambda x: L.Dense(2)(tf.transpose(tf.expand_dims(x, -1), perm=[0, 2, 1, 3])[:, :, :, 0]),
    )
    models["layer_seq_old"] = keras.Sequential(
        [L.Dense(4, input_shape=(8,)), L.Dense(2)], name="seq_old"
    )  # Keras 2's input_shape on the first layer
    return models


def _shape(layer: Any) -> Any:
    try:
        shape = layer.output_shape
    except (AttributeError, RuntimeError):
        return None
    return json.loads(json.dumps(shape))


def main(out: Path) -> None:
    """Save every model in ``out`` and write ``oracle.json``."""
    import tensorflow as tf  # only in the subprocess
    import tf_keras as keras

    out.mkdir(parents=True, exist_ok=True)
    oracle: dict[str, Any] = {}
    for name, model in {**_models(keras, tf), **_layer_models(keras, tf)}.items():
        start = time.perf_counter()
        model.save(out / f"{name}.h5", save_format="h5")
        if name in SAVEDMODELS:
            model.save(out / f"{name}_savedmodel", save_format="tf")
        sys.stderr.write(f"{name}: saved in {time.perf_counter() - start:.1f} s\n")
        oracle[name] = {
            "total": model.count_params(),
            "trainable": sum(int(tf.size(w)) for w in model.trainable_weights),
            "layers": {
                layer.name: {"params": layer.count_params(), "shape": _shape(layer)}
                for layer in model.layers
            },
        }
    seed = _models(keras, tf)["seed"]
    seed.save_weights(out / "seed.weights.h5")  # the Keras 3 layout
    seed.save_weights(out / "seed_weights.h5", save_format="h5")  # Keras 2's
    (out / "oracle.json").write_text(json.dumps(oracle, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
