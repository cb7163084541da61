"""The posted code, fixed for Keras 3, with the layers its text describes.

Changes from the post, each marked ``# fixed`` or ``# added``:

- ``keras.Input`` declares the input (Keras 3 warns about
  ``input_shape=`` on a layer);
- ``MaxPooling2D`` and ``Flatten``, described in the question's text;
- ``SGD(learning_rate=...)`` instead of ``lr=``;
- ``compile(metrics=...)`` instead of ``metric=``;
- every layer is named, so the breakdown reads the same on every run.
"""

import keras
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.optimizers import SGD


def define_model() -> keras.Model:
    """The question's model as its text describes it, compiled."""
    model = Sequential(name="mnist")
    # fixed: Keras 3 takes the input shape here
    model.add(keras.Input((28, 28, 1)))
    model.add(
        Conv2D(
            32,
            (3, 3),
            activation="relu",
            kernel_initializer="he_uniform",
            name="conv",
        )
    )
    # added: the next two layers are described in the question's text
    model.add(MaxPooling2D((2, 2), name="pool"))
    model.add(Flatten(name="flatten"))
    model.add(
        Dense(
            100,
            activation="relu",
            kernel_initializer="he_uniform",
            name="hidden",
        )
    )
    model.add(Dense(10, activation="softmax", name="output"))
    # fixed: `lr` became `learning_rate`
    opt = SGD(learning_rate=0.01, momentum=0.9)
    model.compile(  # fixed: the argument is `metrics`
        optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model
