"""A ResNet basic block that halves the image and doubles the channels."""

import keras
from keras import layers

inputs = keras.Input((32, 32, 16), name="image")

# Main path: two 3×3 convolutions, each followed by BatchNormalization.
x = layers.Conv2D(
    32, 3, strides=2, padding="same", use_bias=False, name="conv1"
)(inputs)
x = layers.BatchNormalization(name="bn1")(x)
x = layers.ReLU(name="relu1")(x)
x = layers.Conv2D(32, 3, padding="same", use_bias=False, name="conv2")(x)
x = layers.BatchNormalization(name="bn2")(x)

# Shortcut: a 1×1 convolution with the same stride, so both paths have the
# same shape and can be added.
shortcut = layers.Conv2D(32, 1, strides=2, use_bias=False, name="projection")(
    inputs
)
shortcut = layers.BatchNormalization(name="bn_projection")(shortcut)

x = layers.Add(name="add")([x, shortcut])
outputs = layers.ReLU(name="relu2")(x)
block = keras.Model(inputs, outputs, name="resnet_block")
