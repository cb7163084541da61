"""The model graph and its evaluation.

Layers and their calls, parts of custom layers, the torch module tree and keras.ops shapes;
rules run over it and rows come out.
"""
