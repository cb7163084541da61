"""Keras rules, registered with `rule`.

Each module reads the arguments of some Keras layer kinds onto a family of math; `table`
names the module of each kind so that a lookup imports only that module.
"""
