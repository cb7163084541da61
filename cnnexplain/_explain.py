"""`explain`: the one entry point, dispatching on what it is given."""

from __future__ import annotations

import os
import sys
from typing import Any

from cnnexplain import _publish
from cnnexplain._breakdown import Breakdown
from cnnexplain._errors import SpecError

__all__ = ["explain"]


def explain(
    model: Any,
    *,
    verify: bool | None = None,
    expand: bool = False,
    input_size: Any = None,
    input_data: Any = None,
    dtypes: Any = None,
) -> Breakdown:
    """Explain where every parameter of ``model`` comes from.

    Every layer gets its rule's formula. A layer no rule covers (a custom
    ``keras.layers.Layer``, a ``keras.Model`` subclass with a ``call``) is
    explained from its parts: each sublayer it tracks by its own rule, from its
    config and build input shape (or, from a file, from the weight shapes it
    stores), and each weight it creates itself as the product of its shape,
    named (``pos_emb: 64·128``); its row's children are those parts. A row is
    flagged (``explained=False``, listed by `Breakdown.unexplained`) only where a
    weight can't be accounted for. Nested models (also as outputs, called
    several times), dict inputs and outputs, and calls with several outputs
    (attention scores, recurrent states) are read as Keras records them.

    Args:
        model: a built Keras model (Sequential, Functional or a subclass), a
            ``torch.nn.Module`` (run once on the meta device to record shapes when
            given an input), a framework-free
            model from `cnnexplain.spec`, or the path (``str`` or `pathlib.Path`) of
            a saved model: a ``.keras`` file, a legacy ``.h5`` file
            (``model.save("m.h5")``, Keras 2 or 3), a tf.keras SavedModel
            directory or a Keras model JSON config, read without TensorFlow and
            without running anything in it.
        verify: compare every row with Keras (or, for a torch module, with each
            module's parameters' ``numel()`` and recorded output shapes). Defaults
            to True for a Keras or torch model
            and False for a spec (verifying a spec builds it in Keras). For a file,
            compare every row's weight shapes with those the file stores; by
            default whenever the file holds weights (a ``.keras`` or ``.h5`` file,
            a SavedModel's variables).
        expand: render nested models' layers under their row.
        input_size: for a ``torch.nn.Module``: the input's shape, batch included
            (``(1, 1, 28, 28)``), or a list of shapes for several inputs, as
            torchinfo takes it. Optional: without an input, every count comes
            from the modules' arguments and parameters, and output shapes and
            MACs are unknown (a lazy module, whose parameters need a first
            forward pass, needs one).
        input_data: for a ``torch.nn.Module``, instead of ``input_size``: a tensor,
            a tuple or list of positional arguments, or a dict of keyword
            arguments for ``forward`` (non-tensor objects allowed).
        dtypes: for ``input_size``: one torch dtype per input (default: the
            parameters' float dtype, or ``torch.long`` when the module starts with
            an Embedding).

    Returns:
        The `Breakdown`: rows, totals and the model formula.

    Raises:
        SpecError: if the model is invalid or of a type cnnexplain doesn't read, or a
            layer's output shape is unknowable (naming that layer and its class).
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
    from cnnexplain._arguments import flag, optional_flag  # noqa: PLC0415

    verify = optional_flag(verify, "verify", "explain()")
    expand = flag(expand, "expand", "explain()")
    if "torch" in sys.modules:  # a torch module exists only once torch is imported
        from cnnexplain._live.torch import explain_torch, is_torch_module  # noqa: PLC0415

        if is_torch_module(model):
            return explain_torch(
                model,
                input_size=input_size,
                input_data=input_data,
                dtypes=dtypes,
                verify=True if verify is None else verify,
                expand=expand,
            )
    if input_size is not None or input_data is not None or dtypes is not None:
        raise SpecError(
            "input_size, input_data and dtypes are for torch modules; a Keras model or spec "
            f"carries its own input shape. Received: model of type {type(model).__name__}."
        )
    if isinstance(model, (str, os.PathLike)):
        from cnnexplain._files.explain import explain_file  # noqa: PLC0415

        return explain_file(model, verify=verify, expand=expand)
    # Each kind of model is recognised without importing its module: a spec model
    # exists only once cnnexplain.spec is imported, a Keras one once keras is.
    if "cnnexplain.spec" in sys.modules:
        from cnnexplain import spec  # noqa: PLC0415

        if isinstance(model, spec.Model):
            return model.explain(verify=bool(verify), expand=expand)
    if "keras" in sys.modules:
        from cnnexplain._live.keras import explain_keras, is_keras_model  # noqa: PLC0415

        if is_keras_model(model):
            return explain_keras(model, verify=True if verify is None else verify, expand=expand)
    raise SpecError(
        "explain() takes a built Keras model, a torch.nn.Module, a cnnexplain.spec model "
        "or the path of a saved model (.keras, .h5, SavedModel directory or JSON). "
        f"Received: model of type {type(model).__name__}."
    )


_publish(globals())
