"""The ``torch.nn`` layers of `explain_code`'s stand-in: their arguments as torch stores them.

Each builder takes a layer's constructor arguments with torch's own signature and
returns what the real module stores (``kernel_size=(3, 3)``, ``stride`` defaulting
to ``kernel_size``...), the configuration the torch rules read
(`cnnexplain._rules.torch`), and how torch prints it (``extra_repr``). Counts,
parameter shapes and output shapes are never computed here: the stand-in asks the
rules (`cnnexplain._explain_code.torch_front`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from cnnexplain._errors import CodeError
from cnnexplain._rules.torch.core import ACTIVATIONS, DROPOUT

__all__ = ["BUILDERS", "bind", "extra_repr"]

Config = dict[str, Any]


def _tuple(value: Any, rank: int) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * rank


def _conv(rank: int) -> Callable[..., Config]:
    def build(  # noqa: PLR0917 - torch's signature
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,  # noqa: FBT001, FBT002
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> Config:
        del device, dtype
        return {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "kernel_size": _tuple(kernel_size, rank),
            "stride": _tuple(stride, rank),
            "padding": _tuple(padding, rank),
            "dilation": _tuple(dilation, rank),
            "transposed": False,
            "output_padding": (0,) * rank,
            "groups": groups,
            "padding_mode": padding_mode,
            "bias": bool(bias),
        }

    return build


def _conv_transpose(rank: int) -> Callable[..., Config]:
    def build(  # noqa: PLR0917 - torch's signature
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,  # noqa: FBT001, FBT002
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> Config:
        del device, dtype
        return {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "kernel_size": _tuple(kernel_size, rank),
            "stride": _tuple(stride, rank),
            "padding": _tuple(padding, rank),
            "dilation": _tuple(dilation, rank),
            "transposed": True,
            "output_padding": _tuple(output_padding, rank),
            "groups": groups,
            "padding_mode": padding_mode,
            "bias": bool(bias),
        }

    return build


def _linear(
    in_features: int,
    out_features: int,
    bias: bool = True,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
) -> Config:
    del device, dtype
    return {"in_features": in_features, "out_features": out_features, "bias": bool(bias)}


def _max_pool(rank: int) -> Callable[..., Config]:
    del rank

    def build(  # noqa: PLR0917 - torch's signature
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,  # noqa: FBT001, FBT002
        ceil_mode: bool = False,  # noqa: FBT001, FBT002
    ) -> Config:
        return {
            "kernel_size": kernel_size,
            "stride": stride if stride is not None and stride != [] else kernel_size,
            "padding": padding,
            "dilation": dilation,
            "return_indices": return_indices,
            "ceil_mode": ceil_mode,
        }

    return build


def _avg_pool(rank: int) -> Callable[..., Config]:
    def build(  # noqa: PLR0917 - torch's signature
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,  # noqa: FBT001, FBT002
        count_include_pad: bool = True,  # noqa: FBT001, FBT002
        divisor_override: int | None = None,
    ) -> Config:
        stride = stride if stride is not None and stride != [] else kernel_size
        if rank == 1:  # AvgPool1d stores tuples
            kernel_size, stride, padding = (_tuple(v, 1) for v in (kernel_size, stride, padding))
        return {
            "kernel_size": kernel_size,
            "stride": stride,
            "padding": padding,
            "ceil_mode": ceil_mode,
            "count_include_pad": count_include_pad,
            "divisor_override": divisor_override,
        }

    return build


def _adaptive(output_size: Any, return_indices: bool = False) -> Config:  # noqa: FBT001, FBT002
    config: Config = {
        "output_size": tuple(output_size) if isinstance(output_size, list) else output_size
    }
    if return_indices:
        config["return_indices"] = True
    return config


def _batch_norm(  # noqa: PLR0917 - torch's signature
    num_features: int,
    eps: float = 1e-5,
    momentum: float | None = 0.1,
    affine: bool = True,  # noqa: FBT001, FBT002
    track_running_stats: bool = True,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
    *,
    bias: bool = True,
) -> Config:
    del device, dtype
    return {
        "num_features": num_features,
        "eps": eps,
        "momentum": momentum,
        "affine": affine,
        "track_running_stats": track_running_stats,
        "weight": affine,
        "bias": affine and bias,
    }


def _layer_norm(  # noqa: PLR0917 - torch's signature
    normalized_shape: Any,
    eps: float = 1e-5,
    elementwise_affine: bool = True,  # noqa: FBT001, FBT002
    bias: bool = True,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
) -> Config:
    del device, dtype
    return {
        "normalized_shape": _tuple(normalized_shape, 1),
        "eps": eps,
        "elementwise_affine": elementwise_affine,
        "weight": elementwise_affine,
        "bias": elementwise_affine and bias,
    }


def _group_norm(  # noqa: PLR0917 - torch's signature
    num_groups: int,
    num_channels: int,
    eps: float = 1e-5,
    affine: bool = True,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
) -> Config:
    del device, dtype
    return {
        "num_groups": num_groups,
        "num_channels": num_channels,
        "eps": eps,
        "affine": affine,
        "weight": affine,
        "bias": affine,
    }


def _dropout(p: float = 0.5, inplace: bool = False) -> Config:  # noqa: FBT001, FBT002
    return {"p": p, "inplace": inplace}


def _inplace(inplace: bool = False) -> Config:  # noqa: FBT001, FBT002
    return {"inplace": inplace}


def _nothing() -> Config:
    return {}


def _identity(*args: Any, **kwargs: Any) -> Config:
    del args, kwargs
    return {}


def _leaky_relu(negative_slope: float = 0.01, inplace: bool = False) -> Config:  # noqa: FBT001, FBT002
    return {"negative_slope": negative_slope, "inplace": inplace}


def _elu(alpha: float = 1.0, inplace: bool = False) -> Config:  # noqa: FBT001, FBT002
    return {"alpha": alpha, "inplace": inplace}


def _gelu(approximate: str = "none") -> Config:
    return {"approximate": approximate}


def _softmax(dim: int | None = None) -> Config:
    return {"dim": dim}


def _softplus(beta: float = 1.0, threshold: float = 20.0) -> Config:
    return {"beta": beta, "threshold": threshold}


def _prelu(
    num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
) -> Config:
    del init, device, dtype
    return {"num_parameters": num_parameters}


def _flatten(start_dim: int = 1, end_dim: int = -1) -> Config:
    return {"start_dim": start_dim, "end_dim": end_dim}


def _unflatten(dim: int, unflattened_size: Any) -> Config:
    return {"dim": dim, "unflattened_size": tuple(unflattened_size)}


def _embedding(  # noqa: PLR0917 - torch's signature
    num_embeddings: int,
    embedding_dim: int,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,  # noqa: FBT001, FBT002
    sparse: bool = False,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
) -> Config:
    del device, dtype
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num_embeddings
    return {
        "num_embeddings": num_embeddings,
        "embedding_dim": embedding_dim,
        "padding_idx": padding_idx,
        "max_norm": max_norm,
        "norm_type": norm_type,
        "scale_grad_by_freq": scale_grad_by_freq,
        "sparse": sparse,
    }


def _recurrent(mode: str) -> Callable[..., Config]:
    def build(  # noqa: PLR0917 - torch's signature
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,  # noqa: FBT001, FBT002
        batch_first: bool = False,  # noqa: FBT001, FBT002
        dropout: float = 0.0,
        bidirectional: bool = False,  # noqa: FBT001, FBT002
        proj_size: int = 0,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> Config:
        del device, dtype
        config: Config = {}
        if mode == "RNN":
            config["nonlinearity"] = nonlinearity
        config |= {
            "mode": {"RNN": f"RNN_{nonlinearity.upper()}"}.get(mode, mode),
            "input_size": input_size,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "bias": bias,
            "batch_first": batch_first,
            "dropout": float(dropout),
            "bidirectional": bidirectional,
            "proj_size": proj_size,
        }
        return config

    return build


def _attention(  # noqa: PLR0917 - torch's signature
    embed_dim: int,
    num_heads: int,
    dropout: float = 0.0,
    bias: bool = True,  # noqa: FBT001, FBT002
    add_bias_kv: bool = False,  # noqa: FBT001, FBT002
    add_zero_attn: bool = False,  # noqa: FBT001, FBT002
    kdim: int | None = None,
    vdim: int | None = None,
    batch_first: bool = False,  # noqa: FBT001, FBT002
    device: Any = None,
    dtype: Any = None,
) -> Config:
    del device, dtype
    kdim = kdim if kdim is not None else embed_dim
    vdim = vdim if vdim is not None else embed_dim
    same = kdim == embed_dim and vdim == embed_dim
    return {
        "embed_dim": embed_dim,
        "kdim": kdim,
        "vdim": vdim,
        "num_heads": num_heads,
        "dropout": dropout,
        "batch_first": batch_first,
        "head_dim": embed_dim // num_heads,
        "bias_k": True if add_bias_kv else None,
        "bias_v": True if add_bias_kv else None,
        "add_zero_attn": add_zero_attn,
        "in_proj_weight": same,
        "q_proj_weight": not same,
        "k_proj_weight": not same,
        "v_proj_weight": not same,
        "in_proj_bias": bias,
        "out_proj.weight": True,
        "out_proj.bias": bias,
    }


BUILDERS: dict[str, Callable[..., Config]] = {
    **{f"Conv{r}d": _conv(r) for r in (1, 2, 3)},
    **{f"ConvTranspose{r}d": _conv_transpose(r) for r in (1, 2, 3)},
    "Linear": _linear,
    **{f"MaxPool{r}d": _max_pool(r) for r in (1, 2, 3)},
    **{f"AvgPool{r}d": _avg_pool(r) for r in (1, 2, 3)},
    **{f"Adaptive{k}Pool{r}d": _adaptive for k in ("Avg", "Max") for r in (1, 2, 3)},
    **{f"BatchNorm{r}d": _batch_norm for r in (1, 2, 3)},
    "LayerNorm": _layer_norm,
    "GroupNorm": _group_norm,
    **dict.fromkeys(DROPOUT, _dropout),
    **dict.fromkeys(ACTIVATIONS, _nothing),
    **dict.fromkeys(
        ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid"), _inplace
    ),
    "LeakyReLU": _leaky_relu,
    "ELU": _elu,
    "CELU": _elu,
    "GELU": _gelu,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    "Softmin": _softmax,
    "Softplus": _softplus,
    "PReLU": _prelu,
    "Identity": _identity,
    "Flatten": _flatten,
    "Unflatten": _unflatten,
    "Embedding": _embedding,
    "RNN": _recurrent("RNN"),
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "MultiheadAttention": _attention,
}
"""torch.nn class name → its builder: torch's signature in, the stored arguments out."""

_NO_PROJ = ("RNN", "GRU")
_ONLY_RNN = ("nonlinearity",)


def bind(class_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Config:
    """The stored arguments of ``torch.nn.<class_name>(*args, **kwargs)``, checked as torch does.

    Raises:
        CodeError: the arguments do not fit torch's signature (as torch's TypeError).
    """
    builder = BUILDERS[class_name]
    if class_name in _NO_PROJ and "proj_size" in kwargs:
        raise CodeError(
            f"ValueError: proj_size argument is only supported for LSTM, not {class_name}"
        )
    if class_name != "RNN" and "nonlinearity" in kwargs:
        raise CodeError(
            f"TypeError: {class_name}.__init__() got an unexpected keyword argument 'nonlinearity'"
        )
    try:
        inspect.signature(builder).bind(*args, **kwargs)
    except TypeError as err:
        raise CodeError(f"TypeError: {class_name}.__init__(): {err}") from None
    return builder(*args, **kwargs)


def _conv_repr(c: Config) -> str:
    s = f"{c['in_channels']}, {c['out_channels']}, "
    s += f"kernel_size={c['kernel_size']}, stride={c['stride']}"
    pad = c["padding"]
    if isinstance(pad, str) or pad != (0,) * len(pad):
        s += f", padding={pad}"
    if c["dilation"] != (1,) * len(c["dilation"]):
        s += f", dilation={c['dilation']}"
    if c["output_padding"] != (0,) * len(c["output_padding"]):
        s += f", output_padding={c['output_padding']}"
    if c["groups"] != 1:
        s += f", groups={c['groups']}"
    if not c["bias"]:
        s += ", bias=False"
    if c["padding_mode"] != "zeros":
        s += f", padding_mode={c['padding_mode']}"
    return s


def _rnn_repr(c: Config) -> str:
    s = f"{c['input_size']}, {c['hidden_size']}"
    if c.get("proj_size"):
        s += f", proj_size={c['proj_size']}"
    if c["num_layers"] != 1:
        s += f", num_layers={c['num_layers']}"
    if not c["bias"]:
        s += ", bias=False"
    if c["batch_first"]:
        s += ", batch_first=True"
    if c["dropout"]:
        s += f", dropout={c['dropout']}"
    if c["bidirectional"]:
        s += ", bidirectional=True"
    if c.get("nonlinearity", "tanh") != "tanh":
        s += f", nonlinearity={c['nonlinearity']}"
    return s


def _embedding_repr(c: Config) -> str:
    s = f"{c['num_embeddings']}, {c['embedding_dim']}"
    for key, default in (("padding_idx", None), ("max_norm", None)):
        if c[key] is not default:
            s += f", {key}={c[key]}"
    if c["norm_type"] != 2:  # noqa: PLR2004
        s += f", norm_type={c['norm_type']}"
    if c["scale_grad_by_freq"]:
        s += ", scale_grad_by_freq=True"
    if c["sparse"]:
        s += ", sparse=True"
    return s


def _keys(*keys: str) -> Callable[[Config], str]:
    return lambda c: ", ".join(
        f"{k}={c[k]!r}" if isinstance(c[k], str) else f"{k}={c[k]}" for k in keys
    )


def _inplace_repr(c: Config) -> str:
    return "inplace=True" if c.get("inplace") else ""


_REPRS: dict[str, Callable[[Config], str]] = {
    **{f"Conv{r}d": _conv_repr for r in (1, 2, 3)},
    **{f"ConvTranspose{r}d": _conv_repr for r in (1, 2, 3)},
    "Linear": lambda c: (
        f"in_features={c['in_features']}, out_features={c['out_features']}, bias={c['bias']}"
    ),
    **{
        f"MaxPool{r}d": _keys("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        for r in (1, 2, 3)
    },
    **{f"AvgPool{r}d": _keys("kernel_size", "stride", "padding") for r in (1, 2, 3)},
    **{f"Adaptive{k}Pool{r}d": _keys("output_size") for k in ("Avg", "Max") for r in (1, 2, 3)},
    **{
        f"BatchNorm{r}d": lambda c: (
            f"{c['num_features']}, eps={c['eps']}, momentum={c['momentum']}, "
            f"affine={c['affine']}, bias={c['bias']}, "
            f"track_running_stats={c['track_running_stats']}"
        )
        for r in (1, 2, 3)
    },
    "LayerNorm": lambda c: (
        f"{c['normalized_shape']}, eps={c['eps']}, "
        f"elementwise_affine={c['elementwise_affine']}, bias={c['bias']}"
    ),
    "GroupNorm": lambda c: (
        f"{c['num_groups']}, {c['num_channels']}, eps={c['eps']}, affine={c['affine']}"
    ),
    **dict.fromkeys(DROPOUT, _keys("p", "inplace")),
    **dict.fromkeys(
        ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid"), _inplace_repr
    ),
    "LeakyReLU": lambda c: (
        f"negative_slope={c['negative_slope']}" + (", inplace=True" if c["inplace"] else "")
    ),
    "ELU": lambda c: f"alpha={c['alpha']}" + (", inplace=True" if c["inplace"] else ""),
    "GELU": _keys("approximate"),
    "Softmax": _keys("dim"),
    "LogSoftmax": _keys("dim"),
    "Softmin": _keys("dim"),
    "Softplus": _keys("beta", "threshold"),
    "PReLU": _keys("num_parameters"),
    "Flatten": _keys("start_dim", "end_dim"),
    "Unflatten": _keys("dim", "unflattened_size"),
    "Embedding": _embedding_repr,
    "RNN": _rnn_repr,
    "LSTM": _rnn_repr,
    "GRU": _rnn_repr,
}


def extra_repr(class_name: str, config: Config) -> str:
    """What torch prints inside the parentheses of ``print(module)``."""
    make = _REPRS.get(class_name)
    return make(config) if make is not None else ""
