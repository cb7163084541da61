"""Learners' code run against stand-ins of the framework, without TensorFlow.

`explain_code`, its result, the Keras stand-in and its call checks, the playground's entry.
"""
