"""Which reference weight each parameter field of a re-implementation takes:
the user's `weight_map` first, then by shape (a field that only one piece fits
takes it) and by name (the field's words against the state-dict key's, PyTorch's
equation names such as `W_ir` included), binding the fields' axis sizes as it
goes. A field with no fitting piece, or with several equally named ones, is an
error that lists the candidates: never a silent guess."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._spec import FIXED, NAMED, ArraySpec
from ._parity_weights import Piece, tokens

__all__ = ["Assigned", "ParityError", "assign", "bind_shape"]


class ParityError(ValueError):
    """Bad input to `sn.testing.parity`: what was wrong and how to fix it."""


@dataclass
class Assigned:
    """A field's weight: the piece it takes, or the user's mapping."""

    path: str
    label: str  # `head.weight` or `weight_map['w_out']`
    layout: str
    get: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    grads: bool = True
    key: str | None = None  # the state-dict entry it reads (None: a weight_map function)
    reads: set[str] = field(default_factory=set)  # every state-dict entry it reads


def bind_shape(spec: ArraySpec, shape: tuple[int, ...], sizes: dict[str, int]) -> bool:
    """Whether `shape` fits `spec` given the sizes bound so far; binds the new
    names into `sizes` when it does (and leaves `sizes` alone when not)."""
    n_pre, n_suf = len(spec.prefix), len(spec.suffix)
    if spec.variadic is None and len(shape) != n_pre:
        return False
    if len(shape) < n_pre + n_suf:
        return False
    pairs = list(zip(spec.prefix, shape[:n_pre]))
    if n_suf:
        pairs += list(zip(spec.suffix, shape[len(shape) - n_suf :]))
    new: dict[str, int] = {}
    for dim, size in pairs:
        if dim.code == FIXED and dim.size != size:
            return False
        if dim.code == NAMED and dim.name is not None:
            known = sizes.get(dim.name, new.get(dim.name))
            if known is not None and known != size:
                return False
            new[dim.name] = size
    sizes.update(new)
    return True


def _fits(spec: ArraySpec, piece: Piece, sizes: dict[str, int]) -> bool:
    return bind_shape(spec, piece.shape, dict(sizes))


def _score(path: str, piece: Piece, ordinal: dict[str, str]) -> int:
    words = tokens(path) | {ordinal[d] for d in tokens(path) if d in ordinal}
    return len(words & piece.words)


def _ordinals(paths: list[str]) -> dict[str, str]:
    """Numbers in field names by rank (`w1`, `w2` or `layers.0`, `layers.1`):
    the k-th number matches the k-th module of a kind."""
    nums = sorted({int(w) for p in paths for w in tokens(p) if w.isdigit()})
    return {str(n): f"#{i + 1}" for i, n in enumerate(nums)}


def _shape(spec: ArraySpec, sizes: Mapping[str, int]) -> str:
    known = [f"{n}={sizes[n]}" for n in sorted(spec.names()) if n in sizes]
    return f"{spec.dtype_name}[{spec.dim_str}]" + (f" with {', '.join(known)}" if known else "")


class _Taken:
    """Pieces taken so far: a piece's other layouts, and a key's slices
    against its whole (a packed matrix against its gates), are no longer free."""

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.whole: set[str] = set()
        self.sliced: set[str] = set()

    def add(self, piece: Piece | None, label: str) -> None:
        self.sources.add(label)
        if piece is not None:
            (self.whole if piece.whole else self.sliced).add(piece.key)

    def free(self, c: Piece) -> bool:
        if c.source in self.sources or c.key in self.whole:
            return False
        return not (c.whole and c.key in self.sliced)


class _Reads(dict):
    """A state dict that remembers which keys a weight_map function read."""

    def __init__(self, state: Mapping[str, np.ndarray]) -> None:
        super().__init__(state)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> np.ndarray:
        self.read.add(key)
        return super().__getitem__(key)


def _user(
    path: str,
    spec: ArraySpec,
    how: Any,
    state: Mapping[str, np.ndarray],
    sizes: dict[str, int],
    pieces: list[Piece],
) -> tuple[Assigned, Piece | None]:
    get: Callable[..., Any]
    piece = None
    key: str | None = None
    if isinstance(how, str):
        labelled = [c for c in pieces if c.label == how]
        if how in state:  # a state-dict key: as stored

            def by_key(sd: Mapping[str, np.ndarray], key: str = how) -> Any:
                return np.asarray(sd[key])

            get, label, layout, key = by_key, how, "as stored (from weight_map)", how
        elif labelled:  # a piece as reports name it: 'gru.weight_ih_l0[reset]'
            fits = [c for c in labelled if bind_shape(spec, c.shape, dict(sizes))]
            piece = _best(fits or labelled)
            get, label, layout, key = piece.get, piece.label, piece.layout, piece.key
        else:
            names = list(state) + [c.label for c in pieces if "[" in c.label]
            close = difflib.get_close_matches(how, names, n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ParityError(f"weight_map[{path!r}]: the state dict has no {how!r}{hint}")
    elif callable(how):
        get, label, layout = how, f"weight_map[{path!r}]", "computed by weight_map"
    else:
        raise ParityError(
            f"weight_map[{path!r}] must be a state-dict key or a function of the state "
            f"dict returning the array, got {how!r}"
        )
    reads = _Reads(state)
    try:
        shape = tuple(np.shape(get(reads)))
    except Exception as e:
        raise ParityError(f"weight_map[{path!r}] failed on the state dict: {e!r}") from None
    if not bind_shape(spec, shape, sizes):
        raise ParityError(
            f"weight_map[{path!r}] gives shape {shape}, but the field is annotated "
            f"{_shape(spec, sizes)}"
        )
    assigned = Assigned(path, label, layout, get, grads=True, key=key)
    assigned.reads = set(reads.read) if key is None else {key}
    return assigned, piece


def assign(
    fields: list[tuple[str, ArraySpec]],
    pieces: list[Piece],
    weight_map: Mapping[str, Any] | None,
    state: Mapping[str, np.ndarray],
    sizes: dict[str, int],
) -> dict[str, Assigned]:
    """A weight for every field (`path -> Assigned`), binding axis sizes into
    `sizes`; `ParityError` when a field cannot be matched unambiguously."""
    specs = dict(fields)
    out: dict[str, Assigned] = {}
    bound_by: dict[str, str] = {}  # axis -> the field whose weight fixed its size
    taken_pieces: list[Piece] = []
    for path, how in (weight_map or {}).items():
        if path not in specs:
            close = difflib.get_close_matches(path, list(specs), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ParityError(
                f"weight_map names {path!r}, which is not an array field of the parameters "
                f"(fields: {', '.join(specs)}){hint}"
            )
        before = dict(sizes)
        out[path], piece = _user(path, specs[path], how, state, sizes, pieces)
        for name in sizes.keys() - before.keys():
            bound_by[name] = f"weight_map[{path!r}]"
        if piece is not None:
            taken_pieces.append(piece)
    used = _Taken()
    for a in out.values():
        used.add(None, a.label)
    for piece in taken_pieces:
        used.add(piece, piece.source)
    ordinal = _ordinals([p for p, _ in fields])
    todo = [p for p, _ in fields if p not in out]
    while todo:
        options = {
            p: [c for c in pieces if used.free(c) and _fits(specs[p], c, sizes)] for p in todo
        }
        for p, cands in options.items():
            if not cands:
                raise ParityError(_no_fit(p, specs[p], pieces, used, sizes, bound_by))
        chosen = _pick(options, ordinal)
        if chosen is None:
            raise ParityError(_ambiguous(options, specs, ordinal, sizes))
        path, piece = chosen
        before = dict(sizes)
        bind_shape(specs[path], piece.shape, sizes)
        for name in sizes.keys() - before.keys():
            bound_by[name] = f"{path} <- {piece.label}"
        used.add(piece, piece.source)
        out[path] = Assigned(
            path, piece.label, piece.layout, piece.get, piece.grads, piece.key, {piece.key}
        )
        todo.remove(path)
    return {p: out[p] for p, _ in fields}


def _best(cands: list[Piece]) -> Piece:
    """Among layouts of one source, the layer's convention."""
    return sorted(cands, key=lambda c: not c.preferred)[0]


def _pick(options: dict[str, list[Piece]], ordinal: dict[str, str]) -> tuple[str, Piece] | None:
    """The surest next choice: a field only one source fits, else the field
    whose best-named source beats every other by the widest margin. Choices
    whose source fits in one layout only come first: they bind sizes (a bias
    binds its layer's output size) that then decide the layout of the others."""
    ranked: list[tuple[bool, int, int, str, Piece]] = []
    for path, cands in options.items():
        sources = {c.source for c in cands}
        if len(sources) == 1:
            ranked.append((len(cands) == 1, 1 << 20, 0, path, _best(cands)))
            continue
        scored = sorted(((_score(path, c, ordinal), c) for c in cands), key=lambda t: -t[0])
        top, lead = scored[0][0], scored[0][1].source
        if top == 0:
            continue
        rivals = [s for s, c in scored if c.source != lead]
        margin = top - (rivals[0] if rivals else 0)
        if margin <= 0:
            continue
        layouts = [c for _, c in scored if c.source == lead]
        ranked.append((len(layouts) == 1, margin, top, path, _best(layouts)))
    if not ranked:
        return None
    best = max(ranked, key=lambda r: r[:3])
    return best[3], best[4]


def _no_fit(
    path: str,
    spec: ArraySpec,
    pieces: list[Piece],
    used: _Taken,
    sizes: dict[str, int],
    bound_by: dict[str, str],
) -> str:
    free = [c for c in pieces if used.free(c)]
    same_rank = [c for c in free if len(c.shape) == spec.rank]
    listed = same_rank or free
    lines = "\n".join(f"  {c.label} {c.layout}: shape {c.shape}" for c in listed[:12])
    why = [f"{n}={sizes[n]} from {bound_by[n]}" for n in sorted(spec.names()) if n in bound_by]
    whence = f" ({'; '.join(why)})" if why else ""
    return (
        f"no reference weight fits the field {path!r}, annotated {_shape(spec, sizes)}"
        f"{whence}.\n"
        f"Weights not yet taken{' of rank ' + str(spec.rank) if same_rank else ''}:\n{lines}\n"
        f"Map it by hand: weight_map={{{path!r}: 'state.dict.key'}} or a function of the "
        "state dict."
    )


def _ambiguous(
    options: dict[str, list[Piece]],
    specs: dict[str, ArraySpec],
    ordinal: dict[str, str],
    sizes: dict[str, int],
) -> str:
    lines = []
    first: dict[str, str] = {}
    for path, cands in options.items():
        names = sorted(
            {c.label for c in cands},
            key=lambda lab: (
                -max(_score(path, c, ordinal) for c in cands if c.label == lab),
                lab,
            ),
        )
        first[path] = names[0]
        lines.append(
            f"  {path} ({_shape(specs[path], sizes)}): {', '.join(names[:6])}"
            + (f" (+{len(names) - 6} more)" if len(names) > 6 else "")
        )
    example = next(iter(options))
    return (
        "cannot tell which reference weight these fields take: their names do not "
        "single one out and several have shapes that fit.\n"
        + "\n".join(lines)
        + f"\nName them in weight_map (a state-dict key, a piece as named above, or a "
        f"function of the state dict), for example weight_map={{{example!r}: "
        f"{first[example]!r}}}."
    )
