"""Live models into the graph, and verification against the framework.

Keras models and torch modules: the only modules that import a framework, always lazily.
"""
