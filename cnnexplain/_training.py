"""Training memory: the optimizers cnnexplain knows, their slots, and one step's bytes by part.

An optimizer keeps ``slots`` tensors the size of each trainable weight (Adam
its ``momentum`` and ``velocity``); training also keeps one gradient per
trainable weight and every layer's outputs for the backward pass.
`Costs.training_memory` fills a `TrainingMemory` from a model's costs.

Examples:
    >>> optimizer_slots("rmsprop", momentum=0.9)
    (<Optimizer.RMSPROP: 'rmsprop'>, 2)
    >>> m = TrainingMemory(Optimizer.ADAM, 2, 32, 400, 400, 800, 3200)
    >>> m.total, int(m)
    (4800, 4800)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from cnnexplain import _publish
from cnnexplain._errors import SpecError

__all__ = ["Optimizer", "TrainingMemory", "optimizer_slots"]


class Optimizer(str, Enum):
    """The Keras optimizers whose memory cnnexplain knows, by their lowercased class names.

    The values are the names ``keras.optimizers.get`` takes (``"sgd"``, ``"rmsprop"``...);
    `slots` gives how many tensors the size of each trainable weight the optimizer keeps.

    Examples:
        >>> Optimizer("adam").slots()
        2
        >>> Optimizer.SGD.slots(momentum=0.9)
        1
        >>> Optimizer.RMSPROP.slots(momentum=0.9, centered=True)
        3
    """

    ADADELTA = "adadelta"
    ADAGRAD = "adagrad"
    ADAM = "adam"
    ADAMAX = "adamax"
    ADAMW = "adamw"
    FTRL = "ftrl"
    LAMB = "lamb"
    LION = "lion"
    NADAM = "nadam"
    RMSPROP = "rmsprop"
    SGD = "sgd"

    def slots(self, *, momentum: float = 0.0, centered: bool = False, amsgrad: bool = False) -> int:
        """Tensors the optimizer keeps per trainable weight, each of the weight's size.

        SGD keeps none (one ``momentum`` with ``momentum > 0``); Adam and AdamW keep
        ``momentum`` and ``velocity`` (plus ``velocity_hat`` with ``amsgrad``); RMSprop
        keeps ``velocity`` (plus ``momentum`` with ``momentum > 0`` and
        ``average_gradient`` when ``centered``); Adagrad one accumulator; Lion one
        momentum; Adadelta, Adamax, Nadam, Ftrl and Lamb two.
        """
        base = _SLOTS[self]
        if self in (Optimizer.SGD, Optimizer.RMSPROP) and momentum:
            base += 1
        if self is Optimizer.RMSPROP and centered:
            base += 1
        if self in (Optimizer.ADAM, Optimizer.ADAMW) and amsgrad:
            base += 1
        return base


_SLOTS = {
    Optimizer.ADADELTA: 2,
    Optimizer.ADAGRAD: 1,
    Optimizer.ADAM: 2,
    Optimizer.ADAMAX: 2,
    Optimizer.ADAMW: 2,
    Optimizer.FTRL: 2,
    Optimizer.LAMB: 2,
    Optimizer.LION: 1,
    Optimizer.NADAM: 2,
    Optimizer.RMSPROP: 1,
    Optimizer.SGD: 0,
}


def _optimizer(name: object) -> Optimizer:
    if isinstance(name, Optimizer):
        return name
    known = {o.value: o for o in Optimizer}
    if isinstance(name, str) and name.lower() in known:
        return known[name.lower()]
    names = ", ".join(repr(o.value) for o in Optimizer)
    raise SpecError(
        f"Unknown optimizer: expected one of {names} or a Keras optimizer of those "
        f"classes. Received: optimizer={name!r}.",
        argument="optimizer",
    )


def optimizer_slots(
    optimizer: object = "adam",
    *,
    momentum: float = 0.0,
    centered: bool = False,
    amsgrad: bool = False,
) -> tuple[Optimizer, int]:
    """The optimizer and its slots per trainable weight.

    Args:
        optimizer: a name as Keras spells it (``"sgd"``, ``"adam"``, ``"RMSprop"``...,
            case-insensitive), an `Optimizer`, or a Keras or torch optimizer object
            (``torch.optim.Adam``...), whose own ``momentum``, ``centered`` and
            ``amsgrad`` are then used. torch's optimizers keep the same slots as
            Keras's of the same name (``NAdam`` is ``"nadam"``).
        momentum: SGD's or RMSprop's momentum; non-zero adds a slot.
        centered: RMSprop's ``centered``; adds a slot.
        amsgrad: Adam's or AdamW's ``amsgrad``; adds a slot.

    Raises:
        SpecError: naming the known optimizers when ``optimizer`` is not one of them.

    Examples:
        >>> optimizer_slots("sgd")
        (<Optimizer.SGD: 'sgd'>, 0)
        >>> optimizer_slots("SGD", momentum=0.9)
        (<Optimizer.SGD: 'sgd'>, 1)
        >>> optimizer_slots("adamw", amsgrad=True)
        (<Optimizer.ADAMW: 'adamw'>, 3)
        >>> optimizer_slots("adamm")
        Traceback (most recent call last):
        ...
        cnnexplain.SpecError: Unknown optimizer: expected one of 'adadelta', 'adagrad', \
'adam', 'adamax', 'adamw', 'ftrl', 'lamb', 'lion', 'nadam', 'rmsprop', 'sgd' or a \
Keras optimizer of those classes. Received: optimizer='adamm'.
    """
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(optimizer, str) and isinstance(defaults, Mapping):  # a torch optimizer
        momentum = float(defaults.get("momentum") or 0.0)
        centered = bool(defaults.get("centered", False))
        amsgrad = bool(defaults.get("amsgrad", False))
        optimizer = type(optimizer).__name__
    get_config = getattr(optimizer, "get_config", None)
    if not isinstance(optimizer, str) and callable(get_config):
        config = get_config()
        momentum = float(config.get("momentum") or 0.0)
        centered = bool(config.get("centered", False))
        amsgrad = bool(config.get("amsgrad", False))
        optimizer = type(optimizer).__name__
    opt = _optimizer(optimizer)
    return opt, opt.slots(momentum=momentum, centered=centered, amsgrad=amsgrad)


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes to train a model with one optimizer and batch size, by part.

    Attributes:
        optimizer: the optimizer.
        slots: tensors it keeps per trainable weight.
        batch_size: examples per step.
        weights_bytes: every weight, trainable or not.
        gradients_bytes: one gradient per trainable weight.
        optimizer_bytes: the optimizer's slots.
        activations_bytes: layer outputs for the whole batch, kept for the backward pass.
        unknown: paths of rows whose bytes are unknown (left out of the figures).
    """

    optimizer: Optimizer
    slots: int
    batch_size: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    unknown: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Weights + gradients + optimizer slots + activations."""
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
        )

    def __int__(self) -> int:
        return self.total


_publish(globals())
