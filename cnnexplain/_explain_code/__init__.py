"""Learners' code run against stand-ins of the frameworks, without TensorFlow or PyTorch.

`explain_code`, its result, the Keras stand-in and its call checks, the PyTorch stand-in
(`torch_front`, `torch_layers`, `torch_tensor`: shape-only tensors, counted by the torch
rules), the playground's entry.
"""
