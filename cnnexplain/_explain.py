"""`explain`: the one entry point, dispatching on what it is given."""

from __future__ import annotations

import os
from typing import Any

from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import SpecError

__all__ = ["explain"]


def explain(model: Any, *, verify: bool | None = None, expand: bool = False) -> Breakdown:
    """Explain where every parameter of ``model`` comes from.

    Args:
        model: a built Keras model (Sequential or Functional), a framework-free
            model from `cnnexplain.spec`, or the path (``str`` or `pathlib.Path`) of
            a saved ``.keras`` file or Keras model JSON config, read without
            TensorFlow and without running anything in it.
        verify: compare every row with Keras. Defaults to True for a Keras model
            and False for a spec (verifying a spec builds it in Keras). For a file,
            compare every row's weight shapes with those the file stores; by
            default whenever the file holds weights.
        expand: render nested models' layers under their row.

    Returns:
        The `Breakdown`: rows, totals and the model formula.

    Raises:
        SpecError: if the model is invalid or of a type cnnexplain doesn't read.
        VerificationError: if ``verify`` and a figure differs from Keras's.
        ModelFileError: if a file cannot be read, describes an invalid model or
            stores weights whose shapes differ from the computed ones.

    Examples:
        >>> from cnnexplain import explain, spec
        >>> model = spec.Sequential([
        ...     spec.Input((28, 28, 1)),
        ...     spec.Conv2D(32, (3, 3), name="conv"),
        ...     spec.MaxPooling2D((2, 2), name="pool"),
        ...     spec.Flatten(name="flatten"),
        ...     spec.Dense(100, name="hidden"),
        ...     spec.Dense(10, name="output"),
        ... ], name="mnist")
        >>> b = explain(model)
        >>> b.total
        542230
        >>> str(b.formula)
        '(3·3+1)·32 + (5408+1)·100 + (100+1)·10'
        >>> [row.params for row in b.rows]
        [320, 0, 0, 540900, 1010]
        >>> b.rows[0].shape_steps[0]
        'H: ⌊(28−3)/1⌋+1 = 26'
    """
    from cnnexplain import spec  # noqa: PLC0415
    from cnnexplain._keras import explain_keras, is_keras_model  # noqa: PLC0415

    if isinstance(model, (str, os.PathLike)):
        from cnnexplain._saved import explain_file  # noqa: PLC0415

        return explain_file(model, verify=verify, expand=expand)
    if isinstance(model, spec.Model):
        return model.explain(verify=bool(verify), expand=expand)
    if is_keras_model(model):
        return explain_keras(model, verify=True if verify is None else verify, expand=expand)
    raise SpecError(
        "explain() takes a built Keras model, a cnnexplain.spec model or the path of a "
        ".keras file. "
        f"Received: model of type {type(model).__name__}."
    )
