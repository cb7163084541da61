"""Saved model files into the model graph, read by our own bounded parsers.

Format detection (`read_model_file`), one reader per format (`.keras` zip, legacy `.h5`,
tf.keras SavedModel, Keras 2 configs) and the zip, HDF5, protobuf and checkpoint parsers.
"""
