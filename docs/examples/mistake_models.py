"""The small Keras models of the page "Common counting mistakes"."""

import keras
from keras import layers


def small_cnn(name: str) -> keras.Model:
    """Conv2D 8×3×3, MaxPooling2D 2×2, Flatten, Dense 10, on 28×28×1."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, 3, name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, name="dense"),
        ],
        name=name,
    )


def two_convs(name: str) -> keras.Model:
    """Two 3×3 convolutions on a colour image, global pooling, Dense 10."""
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(16, 3, name="conv1"),
            layers.Conv2D(32, 3, name="conv2"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="dense"),
        ],
        name=name,
    )


def with_batchnorm(name: str) -> keras.Model:
    """Conv2D 16×3×3, BatchNormalization, global pooling, Dense 10."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(16, 3, name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="dense"),
        ],
        name=name,
    )


def mlp(name: str) -> keras.Model:
    """Dense 128, Dense 10, on flattened 28×28 images."""
    return keras.Sequential(
        [
            keras.Input((784,)),
            layers.Dense(128, name="hidden"),
            layers.Dense(10, name="output"),
        ],
        name=name,
    )


def conv_pool(name: str, **conv: object) -> keras.Model:
    """Conv2D 8 with ``conv``, MaxPooling2D 2×2, Flatten, Dense 10."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, **{"kernel_size": 3, **conv}, name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, name="dense"),
        ],
        name=name,
    )


def dense_on_sequence(name: str) -> keras.Model:
    """Dense 8 on a sequence of 10 vectors of 16 values (no Flatten)."""
    return keras.Sequential(
        [keras.Input((10, 16)), layers.Dense(8, name="dense")], name=name
    )


def recurrent(name: str, cell: str = "LSTM") -> keras.Model:
    """An LSTM (or a GRU) of 6 units on 7 time steps of 5 features."""
    return keras.Sequential(
        [keras.Input((7, 5)), getattr(layers, cell)(6, name="rnn")], name=name
    )


def separable(name: str) -> keras.Model:
    """SeparableConv2D 5×3×3 on a 9×9 image of 3 channels."""
    return keras.Sequential(
        [keras.Input((9, 9, 3)), layers.SeparableConv2D(5, 3, name="sep")],
        name=name,
    )


def depthwise(name: str) -> keras.Model:
    """DepthwiseConv2D 3×3, two filters per channel, on 9×9×4."""
    return keras.Sequential(
        [
            keras.Input((9, 9, 4)),
            layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw"),
        ],
        name=name,
    )


def shared_dense(name: str) -> keras.Model:
    """One Dense 6 called twice (the same weights both times), then Dense 2."""
    inputs = keras.Input((6,))
    shared = layers.Dense(6, name="shared")
    outputs = layers.Dense(2, name="out")(shared(shared(inputs)))
    return keras.Model(inputs, outputs, name=name)
