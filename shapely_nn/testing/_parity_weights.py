"""A reference model's weights (a PyTorch `state_dict`) as the pieces a
re-implementation's parameter fields can take, in PyTorch's layout conventions:

- `Linear` weights are `(out, in)` and multiply from the right transposed
  (`x @ W.T`): a field gets `W.T`, also when `W` is square (the layer's
  convention decides, never the shape); `W` as stored only when its
  transpose does not fit the field and it does;
- `Conv1d/2d/3d` kernels are `(out, in, *spatial)`: as stored, or
  `(*spatial, in, out)`;
- `GRU`/`LSTM`/`RNN` (and their cells) pack their gates along the first axis,
  in PyTorch's documented order (GRU: reset, update, new; LSTM: input, forget,
  cell, output): each gate is a piece of its own (named `ir`, `hz`, ... as in
  PyTorch's equations), the packed matrix another;
- `MultiheadAttention` packs query, key and value in `in_proj_weight`;
- everything else (biases, norms, embeddings, parameters of custom modules) as
  stored.

Each piece is a function of the state dict, so the same mapping carries the
reference's gradients onto the fields (it is linear: slices and transposes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Piece", "pieces", "tokens"]

_GATES = {
    "GRU": (("r", "reset"), ("z", "update"), ("n", "new")),
    "LSTM": (("i", "input"), ("f", "forget"), ("g", "cell"), ("o", "output")),
}
_GATES["GRUCell"], _GATES["LSTMCell"] = _GATES["GRU"], _GATES["LSTM"]
_RECURRENT = {"GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell"}
_LINEAR = {"Linear", "NonDynamicallyQuantizableLinear", "LazyLinear", "Bilinear"}
_CONV = {"Conv1d", "Conv2d", "Conv3d"}
_NORM = {
    "LayerNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "RMSNorm",
}

# words that mean the same in field names and state-dict keys
_SYNONYMS = {
    "w": "weight",
    "weights": "weight",
    "kernel": "weight",
    "b": "bias",
    "biases": "bias",
    "gain": "scale",
    "gamma": "scale",
    "g": "scale",
    "beta": "shift",
    "offset": "shift",
    "emb": "embedding",
    "embed": "embedding",
    "embeddings": "embedding",
    "query": "q",
    "key": "k",
    "value": "v",
    "out": "o",
    "output": "o",
    "head": "o",
    "classifier": "o",
    "readout": "o",
    "proj": "projection",
    "rec": "hh",
    "recurrent": "hh",
    "fwd": "forward",
    "bwd": "reverse",
    "backward": "reverse",
    "rev": "reverse",
}
# a short fused name (`wq`, `b_hn`'s `hn`, `w_ir`): a w/b prefix and a known suffix
_FUSED = re.compile(r"^([wb])(q|k|v|o|qkv|in|out|ih|hh|[ih][rzn]|[ih][ifgo])$")


def tokens(path: str) -> set[str]:
    """The words of a field path or state-dict key, normalized."""
    words: list[str] = []
    for part in re.split(r"[._\[\]\s/]+", path):
        for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part):
            w = w.lower()
            fused = _FUSED.match(w)
            if fused and w not in ("bias", "out"):
                words += [fused.group(1), fused.group(2)]
            else:
                words.append(w)
    return {_SYNONYMS.get(w, w) for w in words if w}


@dataclass
class Piece:
    """One array a field can take: where it comes from in the state dict, how
    it is laid out for the field, and the function computing it."""

    key: str  # the state-dict entry
    label: str  # how reports name it: `gru.weight_ih_l0[reset]`
    layout: str  # `transposed (Linear: x @ W.T)`, `as stored`, ...
    source: str  # the same array in another layout: pieces of one source exclude each other
    get: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    shape: tuple[int, ...]
    words: set[str] = field(default_factory=set)
    preferred: bool = True  # the layer's convention (False: only if it alone fits)
    grads: bool = True  # a parameter (False: a buffer, no gradient)
    whole: bool = True  # False: a slice (a gate); a key's slices and whole exclude each other


def _owner(module: Any, key: str) -> tuple[str, str, Any]:
    prefix, _, name = key.rpartition(".")
    sub = module.get_submodule(prefix) if prefix else module
    return prefix, name, sub


def pieces(module: Any, state: Mapping[str, np.ndarray]) -> list[Piece]:
    """Every piece of every state-dict entry of a `torch.nn.Module`."""
    params = {k for k, _ in module.named_parameters()}
    ordinal: dict[str, dict[str, int]] = {}
    out: list[Piece] = []
    for key, arr in state.items():
        if arr.dtype.kind not in "fc" or arr.ndim == 0:
            continue  # step counters such as num_batches_tracked
        prefix, name, sub = _owner(module, key)
        kind = type(sub).__name__
        seen = ordinal.setdefault(kind, {})
        seen.setdefault(prefix, len(seen) + 1)
        words = tokens(key) | tokens(kind) | {f"#{seen[prefix]}"}
        if kind in _NORM:
            words |= {"norm"} | ({"scale"} if name == "weight" else set())
            words |= {"shift"} if name == "bias" else set()
        before = len(out)
        for p in _layouts(key, name, kind, sub, arr):
            p.source, p.words = p.label, words | p.words
            p.grads = key in params
            out.append(p)
        if len(out) == before:
            stored = Piece(key, key, "as stored", key, _take(key), arr.shape, words)
            stored.grads = key in params  # a buffer (running statistics) has none
            out.append(stored)
    return out


def _take(key: str, rows: slice | None = None, t: bool = False) -> Callable[..., np.ndarray]:
    def get(state: Mapping[str, np.ndarray]) -> np.ndarray:
        a = np.asarray(state[key])
        if rows is not None:
            a = a[rows]
        return a.T if t else a

    return get


def _matrix(key: str, label: str, kind: str, shape: tuple[int, ...], rows: Any, words: set[str]):
    """A matrix multiplying from the right transposed: W.T preferred, W only
    if its transpose does not fit."""
    conv = f"transposed ({kind}: x @ W.T)"
    yield Piece(key, label, conv, "", _take(key, rows, True), shape[::-1], set(words))
    if shape[0] != shape[1]:
        yield Piece(
            key, label, "as stored (out, in)", "", _take(key, rows), shape, set(words), False
        )


def _layouts(key: str, name: str, kind: str, sub: Any, arr: np.ndarray):
    shape = tuple(arr.shape)
    if kind in _LINEAR and name == "weight" and arr.ndim == 2:
        yield from _matrix(key, key, "Linear", shape, None, set())
    elif kind in _CONV and name == "weight":
        yield Piece(key, key, "as stored (out, in, *spatial)", "", _take(key), shape)
        perm = (*range(2, arr.ndim), 1, 0)

        def spatial_first(state: Mapping[str, np.ndarray]) -> np.ndarray:
            return np.transpose(np.asarray(state[key]), perm)

        alt = tuple(shape[i] for i in perm)
        yield Piece(key, key, "(*spatial, in, out)", "", spatial_first, alt, set(), False)
    elif kind in _RECURRENT:
        yield from _recurrent(key, name, kind, shape)
    elif kind == "MultiheadAttention" and name in ("in_proj_weight", "in_proj_bias"):
        e = shape[0] // 3
        for i, (short, long) in enumerate((("q", "query"), ("k", "key"), ("v", "value"))):
            rows, label = slice(i * e, (i + 1) * e), f"{key}[{long}]"
            if arr.ndim == 2:
                parts = list(_matrix(key, label, kind, (e, shape[1]), rows, {short, "attention"}))
            else:
                parts = [Piece(key, label, "as stored", "", _take(key, rows), (e,), {short})]
            for p in parts:
                p.whole = False
                yield p
        if arr.ndim == 2:
            yield from _matrix(key, f"{key}[packed q, k, v]", kind, shape, None, {"qkv"})
        else:
            yield Piece(key, f"{key}[packed q, k, v]", "as stored", "", _take(key), shape, {"qkv"})


def _recurrent(key: str, name: str, kind: str, shape: tuple[int, ...]):
    base = "GRU" if "GRU" in kind else "LSTM" if "LSTM" in kind else "RNN"
    gates = _GATES.get(base, (("", ""),))
    m = re.match(r"(weight|bias)_(ih|hh)", name)
    if m is None:
        return
    matrix, side = m.group(1) == "weight", m.group(2)[0]
    n = shape[0] // len(gates)
    for i, (short, long) in enumerate(gates):
        rows = slice(i * n, (i + 1) * n)
        label = f"{key}[{long}]" if long else key
        words = {side + short, short, long} if short else set()
        if "reverse" not in key:
            words.add("forward")
        if matrix:
            parts = list(_matrix(key, label, kind, (n, shape[1]), rows, words))
        else:
            parts = [Piece(key, label, "as stored", "", _take(key, rows), (n,), words)]
        for p in parts:
            p.whole = len(gates) == 1
            yield p
    if len(gates) > 1:
        label = f"{key}[packed {', '.join(g for _, g in gates)}]"
        if matrix:
            yield from _matrix(key, label, kind, shape, None, {"packed"})
        else:
            yield Piece(key, label, "as stored", "", _take(key), shape, {"packed"})
