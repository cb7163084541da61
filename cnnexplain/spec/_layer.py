"""Spec layers: a Keras layer's class name and arguments, written as Keras writes its config."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from cnnexplain._errors import SpecError

_IGNORED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
_IGNORED = frozenset({"activation", "dtype", "seed", "activity_regularizer"})


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Tensor:
    """The symbolic output of a spec layer's call (functional form)."""

    def __init__(self, layer: Layer, call: int, index: int = 0) -> None:
        self.layer = layer
        self.call = call
        self.index = index

    def __repr__(self) -> str:
        return f"<spec.Tensor from {self.layer.class_name} call {self.call}>"


class Layer:
    """A Keras layer described by its class name and arguments.

    Subclasses declare the Keras class (``class_name``), the arguments that can
    be given by position, and the arguments that shape the count (with Keras's
    defaults). Arguments that never change a count (activation, initializers,
    regularizers, constraints, ``dtype``, and those in ``passive``) are accepted
    and passed on to Keras; any other raises `SpecError`.
    """

    class_name: ClassVar[str] = ""
    positional: ClassVar[tuple[str, ...]] = ()
    arguments: ClassVar[dict[str, Any]] = {}
    passive: ClassVar[frozenset[str]] = frozenset()
    spread: ClassVar[bool] = False
    """Whether several inputs are separate positional arguments (``mha(q, v)``), not a list."""

    def __init__(
        self, *args: Any, name: str | None = None, trainable: bool = True, **kwargs: Any
    ) -> None:
        _check_name(name, self.class_name)
        self.name = name
        self.trainable = trainable
        self.calls: list[list[Tensor]] = []
        self.input_shape_arg = self._pop_input_shape(kwargs)
        where = f"Layer '{name or _snake(self.class_name)}' ({self.class_name})"
        if len(args) > len(self.positional):
            raise SpecError(
                f"{where}: takes at most {len(self.positional)} positional arguments "
                f"({', '.join(self.positional) or 'none'}). Received: {len(args)}.",
                layer=name,
                argument=None,
            )
        for key, value in zip(self.positional, args, strict=False):
            if key in kwargs:
                raise SpecError(
                    f"{where}: '{key}' is given twice. Received: {key}={value!r}.",
                    layer=name,
                    argument=key,
                )
            kwargs[key] = value
        for key, value in kwargs.items():
            known = key in self.arguments or key in self.passive or key in _IGNORED
            if not known and not key.endswith(_IGNORED_SUFFIXES):
                expected = ", ".join(self.arguments) or "no arguments"
                raise SpecError(
                    f"{where}: unknown argument '{key}'; expected one of {expected}. "
                    f"Received: {key}={value!r}.",
                    layer=name,
                    argument=key,
                )
        missing = [k for k in self._required() if k not in kwargs]
        if missing:
            raise SpecError(
                f"{where}: missing required argument '{missing[0]}'.",
                layer=name,
                argument=missing[0],
            )
        self.kwargs = kwargs

    def _pop_input_shape(self, kwargs: dict[str, Any]) -> tuple[int | None, ...] | None:
        """Keras's legacy ``input_shape=`` / ``input_dim=``: a Sequential's first layer's input."""
        where = f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name})"
        dim = kwargs.pop("input_dim", None) if "input_dim" not in self.arguments else None
        shape = (dim,) if dim is not None else kwargs.pop("input_shape", None)
        if shape is None:
            return None
        if isinstance(shape, int):
            shape = (shape,)
        if not isinstance(shape, Sequence) or isinstance(shape, str):
            raise SpecError(
                f"{where}: 'input_shape' must be a tuple of sizes. "
                f"Received: input_shape={shape!r}.",
                layer=self.name,
                argument="input_shape",
            )
        return tuple(shape)

    @classmethod
    def _required(cls) -> list[str]:
        """Positional arguments without a default: the leading ones whose default is None."""
        required = []
        for key in cls.positional:
            if key in cls.arguments and cls.arguments[key] is not None:
                break
            required.append(key)
        return required

    def __call__(
        self, inputs: Tensor | Sequence[Tensor], *, training: Any = None, mask: Any = None
    ) -> Tensor:
        """Call the layer on spec tensors (functional form).

        ``training`` and ``mask`` are accepted as Keras takes them; neither changes a
        count or a shape.
        """
        del training, mask
        tensors = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise SpecError(
                f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name}) must be "
                f"called on spec tensors. Received: {inputs!r}."
            )
        self.calls.append(tensors)
        return Tensor(self, len(self.calls) - 1)

    def config(self, name: str) -> dict[str, Any]:
        """The Keras-format config of this layer under ``name``."""
        args = {k: v for k, v in self.arguments.items() if v is not None}
        trainable = {} if self.trainable else {"trainable": False}
        return {"name": name, **trainable, **args, **self.kwargs}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        name = f", name={self.name!r}" if self.name else ""
        return f"spec.{type(self).__name__}({args}{name})"


def _check_name(name: object, class_name: str) -> None:
    """Refuse a name Keras refuses: not a string, or holding ``/`` (its weight paths' separator).

    Examples:
        >>> from cnnexplain.spec import Dense
        >>> Dense(4, name="a/b")
        Traceback (most recent call last):
        ...
        cnnexplain.SpecError: Dense: the argument name must be a string without '/', \
as in Keras ('/' separates the parts of weight paths). Received: name='a/b'.
    """
    if name is not None and (not isinstance(name, str) or "/" in name):
        raise SpecError(
            f"{class_name}: the argument name must be a string without '/', as in Keras ('/' "
            f"separates the parts of weight paths). Received: name={name!r}.",
            layer=name if isinstance(name, str) else None,
            argument="name",
        )


def _check_unique(layers: Sequence[Layer], where: str) -> None:
    """Refuse two layers of one model with the same name, as Keras does."""
    seen: dict[str, Layer] = {}
    for layer in layers:
        if not layer.name:
            continue
        other = seen.setdefault(layer.name, layer)
        if other is not layer:
            raise SpecError(
                f"{where}: two layers are named '{layer.name}' ({other.class_name} and "
                f"{layer.class_name}), and Keras requires the layers of a model to have unique "
                f"names; give one of them another name. Received: name={layer.name!r}.",
                layer=layer.name,
                argument="name",
            )


def _define(
    class_name: str,
    positional: tuple[str, ...] = (),
    *,
    passive: tuple[str, ...] = (),
    base: type[Layer] | None = None,
    **arguments: Any,
) -> type[Layer]:
    return type(
        class_name,
        (base or Layer,),
        {
            "class_name": class_name,
            "positional": positional,
            "arguments": arguments,
            "passive": frozenset(passive),
            "__module__": "cnnexplain.spec",
            "__doc__": f"Spec of ``keras.layers.{class_name}``.",
        },
    )


class InputLayer(Layer):
    """The layer behind `Input`."""

    class_name = "InputLayer"
    arguments: ClassVar[dict[str, Any]] = {"batch_shape": None}

    def config(self, name: str) -> dict[str, Any]:
        """The InputLayer config, with ``batch_shape``."""
        return {"name": name, "batch_shape": list(self.kwargs["batch_shape"])}


def Input(  # noqa: N802 - Keras's name
    shape: Sequence[int | None], batch_size: int | None = None, name: str | None = None
) -> Tensor:
    """A model input of the given shape (batch axis excluded), as ``keras.Input``."""
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise SpecError(
            f"Input: 'shape' must be a tuple of sizes. Received: shape={shape!r}.", argument="shape"
        )
    layer = InputLayer(name=name, batch_shape=(batch_size, *shape))
    return Tensor(layer, 0)


class _Nesting(Layer):
    """A layer whose arguments hold layers (wrappers, RNN cells), written as nested configs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        where = f"Layer '{self.name or _snake(self.class_name)}' ({self.class_name})"
        for key in ("layer", "backward_layer", "cell"):
            value = self.kwargs.get(key)
            if value is not None and not isinstance(value, Layer):
                raise SpecError(
                    f"{where}: '{key}' must be a spec layer. Received: {key}={value!r}.",
                    layer=self.name,
                    argument=key,
                )
        cells = self.kwargs.get("cells")
        if cells is not None and (
            not isinstance(cells, (list, tuple)) or not all(isinstance(c, Layer) for c in cells)
        ):
            raise SpecError(
                f"{where}: 'cells' must be a list of spec layers. Received: cells={cells!r}.",
                layer=self.name,
                argument="cells",
            )

    def config(self, name: str) -> dict[str, Any]:
        """The config, each spec layer in it written as Keras writes a nested layer."""
        config = super().config(name)
        for key, value in config.items():
            if isinstance(value, Layer):
                config[key] = _nested(value)
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Layer) for v in value):
                config[key] = [_nested(v) for v in value]
        return config


def _nested(layer: Layer) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": layer.class_name,
        "config": layer.config(layer.name or _snake(layer.class_name)),
        "registered_name": None,
    }


class _QueryValueKey(Layer):
    """An attention layer, called as ``layer(query, value)`` or ``layer(query, value, key)``."""

    spread = True

    def __call__(  # type: ignore[override]
        self, query: Tensor, value: Tensor, key: Tensor | None = None
    ) -> Tensor:
        """Call on query, value and optionally key (functional form)."""
        return super().__call__([query, value] if key is None else [query, value, key])
