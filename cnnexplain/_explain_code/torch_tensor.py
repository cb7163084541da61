"""Shape-only tensors for `explain_code`'s stand-in of PyTorch.

A `Tensor` holds a shape and a dtype name, never a value: what a learner's
``forward`` does with it (``view``, ``reshape``, ``permute``, ``torch.cat``,
arithmetic, indexing) changes only the shape, as torch would. What a tensor
cannot answer without values (``item()``, ``tolist()``, comparisons used as
booleans) raises `CodeError` in one sentence.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from cnnexplain._errors import CodeError

__all__ = ["Parameter", "Size", "Tensor", "broadcast", "sizes_of", "tensor_from_data"]


class Size(tuple[int, ...]):
    """``torch.Size``: a tuple of ints that prints as torch prints it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodeError(f"{what} must be whole numbers, got {value!r}")
    return value


def sizes_of(args: Sequence[Any], what: str = "the size") -> tuple[int, ...]:
    """``randn(2, 3)``, ``randn((2, 3))``, ``randn([2, 3])`` or ``randn(size)`` → ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    dims = tuple(_int(a, what) for a in args)
    if any(d < 0 for d in dims):
        raise CodeError(f"{what} cannot hold a negative length: {dims}")
    return dims


def _axis(dim: Any, rank: int, what: str = "dim") -> int:
    dim = _int(dim, what)
    low, high = (-rank, rank - 1) if rank else (-1, 0)
    if not low <= dim <= high:
        raise CodeError(
            f"IndexError: Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})"
        )
    return dim % rank if rank else 0


def broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of an element-wise result, by torch's (NumPy's) broadcasting rules."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        sizes = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(list(s)) for s in shapes)
            raise CodeError(
                f"RuntimeError: shapes {listed} cannot be broadcast together "
                f"(sizes {sorted(sizes)} at dimension {i})"
            )
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _shape_of_data(data: Any) -> tuple[int, ...]:
    if isinstance(data, Tensor):
        return data.shape
    if isinstance(data, (list, tuple)):
        inner = {_shape_of_data(d) for d in data}
        if len(inner) > 1:
            raise CodeError("ValueError: expected a sequence of equal-length rows")
        return (len(data), *(inner.pop() if inner else ()))
    return ()


def tensor_from_data(data: Any, dtype: str | None = None) -> Tensor:
    """``torch.tensor(data)``: the shape of nested lists; ints give int64, floats float32."""
    shape = _shape_of_data(data)

    def leaves(d: Any) -> Iterator[Any]:
        if isinstance(d, (list, tuple)):
            for x in d:
                yield from leaves(x)
        else:
            yield d

    if dtype is None:
        kinds = list(leaves(data))
        dtype = "int64" if kinds and all(isinstance(k, int) for k in kinds) else "float32"
    return Tensor(shape, dtype)


def _dtype(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "name", value)).removeprefix("torch.")


class Tensor:
    """A tensor of the stand-in: its shape and dtype, no values.

    Examples:
        >>> x = Tensor((2, 3, 4))
        >>> x.view(x.size(0), -1).shape
        torch.Size([2, 12])
        >>> (x + Tensor((4,))).permute(2, 0, 1).shape
        torch.Size([4, 2, 3])
    """

    __array_priority__ = 100

    def __init__(self, shape: Sequence[int | None], dtype: str = "float32") -> None:
        if any(d is None for d in shape):
            raise CodeError(f"a tensor of shape {tuple(shape)} has an axis of unknown length")
        self._shape = Size(int(d) for d in shape if d is not None)
        self.dtype = dtype
        self.requires_grad = False
        self.grad = None

    # -- what it is
    @property
    def shape(self) -> Size:
        """``x.shape``: a `Size`."""
        return self._shape

    def size(self, dim: int | None = None) -> Any:
        """``x.size()`` (a `Size`) or ``x.size(dim)`` (an int)."""
        if dim is None:
            return self._shape
        return self._shape[_axis(dim, len(self._shape))]

    def dim(self) -> int:
        """The number of axes."""
        return len(self._shape)

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return len(self._shape)

    def numel(self) -> int:
        """The number of elements (the product of the shape)."""
        return math.prod(self._shape)

    nelement = numel

    def __len__(self) -> int:
        if not self._shape:
            raise CodeError("TypeError: len() of a 0-d tensor")
        return self._shape[0]

    def __repr__(self) -> str:
        return f"tensor of shape {list(self._shape)} ({self.dtype}, no values here)"

    def _like(self, shape: Sequence[builtins.int], dtype: str | None = None) -> Tensor:
        return Tensor(shape, dtype or self.dtype)

    # -- values: none here
    def _no_values(self, what: str) -> NoReturn:
        raise CodeError(
            f"{what} needs the tensor's values, and here tensors have shapes only "
            "(cnnexplain runs the code to count parameters and follow shapes, not to compute)"
        )

    def item(self) -> Any:
        """Refused: a value is needed."""
        return self._no_values("item()")

    def tolist(self) -> Any:
        """Refused: values are needed."""
        return self._no_values("tolist()")

    def numpy(self) -> Any:
        """Refused: values are needed."""
        return self._no_values("numpy()")

    def __bool__(self) -> bool:
        return bool(self._no_values("using a tensor as True or False"))

    def __float__(self) -> float:
        return float(self._no_values("float(tensor)"))

    def __int__(self) -> int:
        return int(self._no_values("int(tensor)"))

    # -- kept as they are
    def _same(self, *args: Any, **kwargs: Any) -> Tensor:
        del args, kwargs
        return self._like(self._shape)

    contiguous = clone = detach = cpu = cuda = relu = sigmoid = tanh = exp = log = _same
    abs = sqrt = neg = relu_ = zero_ = normal_ = uniform_ = fill_ = requires_grad_ = _same
    softmax = log_softmax = _same

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """A device is ignored; a dtype is kept."""
        dtype = kwargs.get("dtype")
        for arg in args:
            if hasattr(arg, "name") or (isinstance(arg, str) and arg not in ("cpu", "cuda", "mps")):
                dtype = arg
        return self._like(self._shape, _dtype(dtype) if hasattr(dtype, "name") else None)

    def float(self) -> Tensor:
        """As float32."""
        return self._like(self._shape, "float32")

    def long(self) -> Tensor:
        """As int64."""
        return self._like(self._shape, "int64")

    def int(self) -> Tensor:
        """As int32."""
        return self._like(self._shape, "int32")

    def double(self) -> Tensor:
        """As float64."""
        return self._like(self._shape, "float64")

    def half(self) -> Tensor:
        """As float16."""
        return self._like(self._shape, "float16")

    def type_as(self, other: Tensor) -> Tensor:
        """With ``other``'s dtype."""
        return self._like(self._shape, other.dtype)

    def backward(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to differentiate: accepted, nothing run."""
        del args, kwargs

    # -- shape changes
    def view(self, *shape: Any) -> Tensor:
        """``view(n, -1)``: the same elements in a new shape (one axis may be ``-1``)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        dims = [_int(d, "view()'s sizes") for d in shape]
        total = self.numel()
        if dims.count(-1) > 1:
            raise CodeError("RuntimeError: only one dimension can be inferred")
        known = math.prod(d for d in dims if d != -1)
        if -1 in dims:
            if known == 0 or total % known:
                raise CodeError(
                    f"RuntimeError: shape '{list(shape)}' is invalid for input of size {total}"
                )
            dims[dims.index(-1)] = total // known
        elif known != total:
            raise CodeError(
                f"RuntimeError: shape '{list(shape)}' is invalid for input of size {total}"
            )
        return self._like(dims)

    reshape = view

    def view_as(self, other: Tensor) -> Tensor:
        """``view(other.shape)``."""
        return self.view(tuple(other.shape))

    reshape_as = view_as

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        """Axes ``start_dim`` to ``end_dim`` as one."""
        rank = len(self._shape)
        if rank == 0:
            return self._like((1,))
        start, end = _axis(start_dim, rank), _axis(end_dim, rank)
        if start > end:
            raise CodeError(
                "RuntimeError: flatten() has invalid args: start_dim cannot come after end_dim"
            )
        merged = math.prod(self._shape[start : end + 1])
        return self._like((*self._shape[:start], merged, *self._shape[end + 1 :]))

    def permute(self, *dims: Any) -> Tensor:
        """The axes in the order given."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        rank = len(self._shape)
        axes = [_axis(d, rank) for d in dims]
        if sorted(axes) != list(range(rank)):
            raise CodeError(
                f"RuntimeError: permute(): the number of dims don't match or repeat: "
                f"{list(dims)} for a tensor of {rank} dims"
            )
        return self._like([self._shape[a] for a in axes])

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        """Two axes swapped."""
        rank = len(self._shape)
        a, b = _axis(dim0, rank), _axis(dim1, rank)
        dims = list(self._shape)
        dims[a], dims[b] = dims[b], dims[a]
        return self._like(dims)

    swapaxes = transpose

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        """The axes reversed."""
        return self._like(self._shape[::-1])

    def t(self) -> Tensor:
        """A matrix transposed."""
        return self.T

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        """A new axis of length 1 at ``dim``."""
        axis = _axis(dim, len(self._shape) + 1)
        return self._like((*self._shape[:axis], 1, *self._shape[axis:]))

    def squeeze(self, dim: builtins.int | None = None) -> Tensor:
        """Axes of length 1 removed (only ``dim`` when given)."""
        if dim is None:
            return self._like([d for d in self._shape if d != 1])
        axis = _axis(dim, len(self._shape))
        if self._shape[axis] != 1:
            return self._like(self._shape)
        return self._like(self._shape[:axis] + self._shape[axis + 1 :])

    def expand(self, *sizes: Any) -> Tensor:
        """Length-1 axes repeated (``-1`` keeps an axis)."""
        dims = sizes_of(sizes) if all(s != -1 for s in sizes) else sizes
        old = (1,) * (len(dims) - len(self._shape)) + self._shape
        return self._like([o if d == -1 else d for o, d in zip(old, dims, strict=True)])

    def repeat(self, *sizes: Any) -> Tensor:
        """Each axis repeated."""
        reps = sizes_of(sizes)
        old = (1,) * (len(reps) - len(self._shape)) + self._shape
        return self._like([o * r for o, r in zip(old, reps, strict=True)])

    def _reduce(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:  # noqa: FBT001, FBT002
        del kwargs
        if dim is None:
            return self._like(())
        rank = len(self._shape)
        axes = {_axis(d, rank) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        return self._like(
            [1 if i in axes else d for i, d in enumerate(self._shape) if keepdim or i not in axes]
        )

    sum = mean = prod = std = var = norm = amax = amin = _reduce

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: FBT001, FBT002
        """The maximum; with ``dim``, (values, indices)."""
        if isinstance(dim, Tensor):
            return self._like(broadcast(self._shape, dim.shape))
        out = self._reduce(dim, keepdim)
        return out if dim is None else (out, Tensor(out.shape, "int64"))

    min = max  # noqa: A003 - torch's name

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: FBT001, FBT002
        """The index of the maximum."""
        return Tensor(self._reduce(dim, keepdim).shape, "int64")

    argmin = argmax

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        """``chunks`` pieces along ``dim`` (the last one shorter)."""
        axis = _axis(dim, len(self._shape))
        length = self._shape[axis]
        step = -(-length // chunks)
        return self.split(step, axis)

    def split(self, size: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        """Pieces of ``size`` (or of each length in a list) along ``dim``."""
        axis = _axis(dim, len(self._shape))
        length = self._shape[axis]
        if isinstance(size, (list, tuple)):
            lengths = [_int(s, "split()'s sizes") for s in size]
        else:
            step = _int(size, "split()'s size")
            lengths = [min(step, length - i) for i in range(0, length, step)]
        if sum(lengths) != length:
            raise CodeError(
                f"RuntimeError: split_with_sizes expects split_sizes to sum exactly to {length}"
            )
        return tuple(
            self._like((*self._shape[:axis], n, *self._shape[axis + 1 :])) for n in lengths
        )

    # -- arithmetic
    def _binary(self, other: Any) -> Tensor:
        shape = other.shape if isinstance(other, Tensor) else ()
        return self._like(broadcast(self._shape, tuple(shape)))

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _binary
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __floordiv__ = _binary
    add = sub = mul = div = pow = maximum = minimum = _binary
    __iadd__ = __isub__ = __imul__ = __itruediv__ = _binary

    def _compare(self, other: Any) -> Tensor:
        return Tensor(self._binary(other).shape, "bool")

    __lt__ = __le__ = __gt__ = __ge__ = eq = ne = lt = gt = _compare

    def __neg__(self) -> Tensor:
        return self._like(self._shape)

    __pos__ = __neg__

    def __matmul__(self, other: Tensor) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return matmul(other, self)

    matmul = __matmul__

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix product."""
        return matmul(self, other)

    # -- indexing
    def __getitem__(self, key: Any) -> Tensor:
        keys = list(key) if isinstance(key, tuple) else [key]
        if any(isinstance(k, Tensor) for k in keys):
            self._no_values("indexing with a tensor")
        given = sum(1 for k in keys if k is not None and k is not Ellipsis)
        if Ellipsis in keys:
            at = keys.index(Ellipsis)
            keys[at : at + 1] = [slice(None)] * (len(self._shape) - given)
        if given > len(self._shape):
            raise CodeError(
                f"IndexError: too many indices for tensor of dimension {len(self._shape)}"
            )
        dims: list[int] = []
        axis = 0
        for k in keys:
            if k is None:
                dims.append(1)
                continue
            length = self._shape[axis]
            if isinstance(k, slice):
                dims.append(len(range(*k.indices(length))))
            else:
                index = _int(k, "an index")
                if not -length <= index < length:
                    raise CodeError(
                        f"IndexError: index {index} is out of bounds for dimension {axis} "
                        f"with size {length}"
                    )
            axis += 1
        dims.extend(self._shape[axis:])
        return self._like(dims)

    def __setitem__(self, key: Any, value: Any) -> None:
        del key, value

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __hash__(self) -> builtins.int:
        return id(self)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` for shapes: the last axis of ``a`` meets the second-last of ``b``."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if not sa or not sb:
        raise CodeError("RuntimeError: both arguments to matmul need to be at least 1D")
    left = sa if len(sa) > 1 else (1, *sa)
    right = sb if len(sb) > 1 else (*sb, 1)
    if left[-1] != right[-2]:
        raise CodeError(
            f"RuntimeError: mat1 and mat2 shapes cannot be multiplied "
            f"({'x'.join(map(str, left[-2:]))} and {'x'.join(map(str, right[-2:]))})"
        )
    batch = broadcast(left[:-2], right[:-2])
    out = (*batch, left[-2], right[-1])
    if len(sa) == 1:
        out = (*out[:-2], out[-1])
    if len(sb) == 1:
        out = out[:-1]
    return a._like(out)  # noqa: SLF001 - the module's own class


class Parameter(Tensor):
    """``nn.Parameter``: a tensor a module counts, trainable unless told otherwise."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:  # noqa: FBT001, FBT002 - torch's signature
        shape = data.shape if isinstance(data, Tensor) else ()
        super().__init__(shape, data.dtype if isinstance(data, Tensor) else "float32")
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return f"Parameter of shape {list(self.shape)} (no values here)"
