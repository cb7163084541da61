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
