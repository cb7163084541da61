"""The question's model, as its text describes it."""

import keras
from keras import layers


def define_model() -> keras.Model:
    """Conv2D 32 3×3, MaxPooling2D 2×2, Flatten, Dense 100, Dense 10."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(
                32,
                (3, 3),
                activation="relu",
                kernel_initializer="he_uniform",
                name="conv",
            ),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(
                100,
                activation="relu",
                kernel_initializer="he_uniform",
                name="hidden",
            ),
            layers.Dense(10, activation="softmax", name="output"),
        ],
        name="mnist",
    )
