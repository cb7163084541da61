"""The question's code as posted, verbatim between the snippet markers, and its imports.

The post shows only ``define_model``; the imports are ours (Keras 3 names), so the
function can be run as it was posted. The quoted section must stay byte-for-byte as
posted, so ruff's style rules are switched off for the file (the lines below).
"""
# The posted style: single quotes, a long line, no annotations.
# ruff: noqa: ANN201, E501, Q000
# fmt: off

from keras.layers import Conv2D, Dense
from keras.models import Sequential
from keras.optimizers import SGD


# --8<-- [start:posted]
def define_model():
    model = Sequential()
    model.add(Conv2D(32, (3,3), activation = 'relu', kernel_initializer = 'he_uniform', input_shape=(28,28,1)))
    model.add(Dense(100, activation='relu', kernel_initializer='he_uniform'))
    model.add(Dense(10, activation='softmax'))
    opt = SGD(lr=0.01, momentum=0.9)
    model.compile(optimizer=opt, loss='categorical_crossentropy', metric=['accuracy'])
    return model
# --8<-- [end:posted]
