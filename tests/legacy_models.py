"""Write real legacy Keras files with tf_keras (Keras 2), and what tf_keras counts in them.

Run as a script in its own process (tf_keras and Keras 3 must not share one)::

    python tests/legacy_models.py OUT_DIR

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

SAVEDMODELS = ("seed", "nested", "custom_last")
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
        [keras.Input((8,)), layers.Dense(4, name="inner_dense"), layers.BatchNormalization()],
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
    return {
        "seed": seed,
        "nested": nested,
        "custom_last": custom_last,
        "custom_mid": custom_mid,
        "zoo": zoo,
        "ResNet50": resnet,
    }


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
    oracle: dict[str, Any] = {"keras_version": keras.__version__}
    for name, model in _models(keras, tf).items():
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
