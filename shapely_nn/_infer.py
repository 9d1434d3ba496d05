"""From a recording to annotations: which dimensions are one axis, which sizes
are fixed, which are related (`n+1`, `2*n`), which ranks vary (`*name`), the
dtype class and array type of each array, and what the run could not tell.

Every array argument, returned array and array field of a parameter structure
is a *slot*; each of its dimensions a *position*. Each distinct recorded call
is an *observation*: a size for each position it saw. Two positions are one
axis when they were seen together and equal in every call that saw both, or
when the same array object went from one to the other (a data-flow link); a
group that some call contradicts is split. Names are `_infer_names.py`'s job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Model", "build"]

Pos = tuple[str, tuple[str, ...], Any]  # (owner, path, index or "*")
Slot = tuple[str, tuple[str, ...]]
CONFLICT = object()
OFFSETS = (1, -1)
FACTORS = (2,)
MIN_SIZES = 3  # different sizes a relation must hold for (two often agree by chance)


@dataclass
class SlotInfo:
    ranks: set[int] = field(default_factory=set)
    dtypes: set[str] = field(default_factory=set)
    libs: set[str] = field(default_factory=set)
    none: bool = False
    other: set[str] = field(default_factory=set)
    cls: set[str] = field(default_factory=set)
    items: set[int] = field(default_factory=set)  # tuple lengths

    @property
    def variadic(self) -> bool:
        return len(self.ranks) > 1


@dataclass
class Block:
    """One axis: the positions that share it."""

    id: int
    members: list[Pos]
    values: set[Any] = field(default_factory=set)
    fixed: Any = None  # the size, when it is fixed
    relation: tuple[int, str, int] | None = None  # (base block, "+" or "*", constant)
    # a difference of two blocks plus a constant (a valid convolution's length,
    # t-width+1): (block added, block subtracted, constant)
    differences: list[tuple[int, int, int]] = field(default_factory=list)
    name: str = ""
    fallback: bool = False
    literal: bool = False  # written as its fixed size

    @property
    def varied(self) -> bool:
        return len(self.values) > 1


@dataclass
class Model:
    """What the run showed, ready for naming and rendering."""

    functions: dict[str, dict[str, Any]]
    slots: dict[Slot, SlotInfo]
    blocks: list[Block]
    block_of: dict[Pos, int]
    scopes: dict[str, set[int]]  # function -> the blocks its calls saw
    observations: list[tuple[str, dict[Pos, Any], dict[str, int]]]
    notes: dict[str, list[str]]
    cannot_tell: set[str]
    conflicted: set[Pos]


def _walk(desc: dict[str, Any], owner: str, path: tuple[str, ...], out: list[Any]) -> None:
    """(slot, description) for every value under a recorded argument."""
    kind = desc["k"]
    if kind == "struct":
        for name, sub in desc["fields"].items():
            _walk(sub, desc["cls"], (name,), out)
        out.append(((owner, path), desc))
    elif kind == "tuple":
        for i, sub in enumerate(desc["items"]):
            _walk(sub, owner, (*path, str(i)), out)
        out.append(((owner, path), desc))
    else:
        out.append(((owner, path), desc))


def _calls(functions: dict[str, Any]) -> list[tuple[str, list[Any], dict[str, int]]]:
    out = []
    for key, fn in functions.items():
        for call in fn["calls"]:
            values: list[Any] = []
            ints = {}
            for name, desc in call["args"].items():
                if desc["k"] == "int":
                    ints[name] = desc["v"]
                _walk(desc, key, (name,), values)
            _walk(call["return"], key, ("return",), values)
            out.append((key, values, ints))
    return out


def _positions(info: SlotInfo, slot: Slot, shape: list[int]) -> list[tuple[Pos, Any]]:
    owner, path = slot
    if not info.variadic:
        return [((owner, path, i), d) for i, d in enumerate(shape)]
    t = min(info.ranks)
    lead = len(shape) - t
    out: list[tuple[Pos, Any]] = [((owner, path, "*"), tuple(shape[:lead]))]
    out += [((owner, path, j - t), shape[lead + j]) for j in range(t)]
    return out


def build(recording: dict[str, Any]) -> Model:
    functions = recording["functions"]
    calls = _calls(functions)
    slots: dict[Slot, SlotInfo] = defaultdict(SlotInfo)
    for _, values, _ in calls:
        for slot, desc in values:
            info = slots[slot]
            k = desc["k"]
            if k == "array":
                info.ranks.add(len(desc["shape"]))
                info.dtypes.add(desc["dtype"])
                info.libs.add(desc["lib"])
            elif k == "none":
                info.none = True
            elif k == "struct":
                info.cls.add(desc["cls"])
            elif k == "tuple":
                info.items.add(len(desc["items"]))
            else:
                info.other.add(desc.get("t", k))
    observations: list[tuple[str, dict[Pos, Any], dict[str, int]]] = []
    conflicted: set[Pos] = set()
    for key, values, ints in calls:
        obs: dict[Pos, Any] = {}
        for slot, desc in values:
            if desc["k"] != "array" or -1 in desc["shape"]:
                continue
            for pos, v in _positions(slots[slot], slot, desc["shape"]):
                if pos in obs and obs[pos] != v:
                    conflicted.add(pos)
                obs[pos] = v
        observations.append((key, obs, ints))
    return _partition(recording, functions, dict(slots), observations, conflicted)


def _partition(
    recording: dict[str, Any],
    functions: dict[str, Any],
    slots: dict[Slot, SlotInfo],
    observations: list[tuple[str, dict[Pos, Any], dict[str, int]]],
    conflicted: set[Pos],
) -> Model:
    index: dict[Pos, int] = {}
    order: list[Pos] = []
    for _, obs, _ in observations:
        for pos in obs:
            if pos not in index and pos not in conflicted:
                index[pos] = len(order)
                order.append(pos)
    cooc: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    per_fn: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for key, obs, _ in observations:
        items = sorted((index[p], v) for p, v in obs.items() if p in index)
        for a in range(len(items)):
            ia, va = items[a]
            for b in range(a + 1, len(items)):
                ib, vb = items[b]
                c = cooc[(ia, ib)]
                c[0] += 1
                c[1] += va == vb
                per_fn[key].add((ia, ib))

    def compatible(a: int, b: int) -> bool:
        c = cooc.get((min(a, b), max(a, b)))
        return c is None or c[0] == c[1]

    parent = list(range(len(order)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), (n, eq) in cooc.items():
        if n == eq and n > 0:
            parent[find(a)] = find(b)
    # every size each position took: an array passed on links its positions
    # only when they took the same sizes (a helper such as softmax, called on
    # attention scores and on logits, would otherwise join unrelated axes)
    sizes_of: dict[int, set[Any]] = defaultdict(set)
    for _, obs, _ in observations:
        for p, v in obs.items():
            if p in index:
                sizes_of[index[p]].add(v)
    for a, b in _usable_links(recording.get("links", []), slots):
        ia, ib = index.get(a), index.get(b)
        if (
            ia is not None
            and ib is not None
            and compatible(ia, ib)
            and sizes_of[ia] == sizes_of[ib]
        ):
            parent[find(ia)] = find(ib)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(order)):
        groups[find(i)].append(i)
    blocks: list[Block] = []
    block_of: dict[Pos, int] = {}
    for members in sorted(groups.values()):
        subs: list[list[int]] = []
        for m in members:  # split what some call contradicts, greedily
            for sub in subs:
                if all(compatible(m, o) for o in sub):
                    sub.append(m)
                    break
            else:
                subs.append([m])
        for sub in subs:
            b = Block(len(blocks), [order[i] for i in sub])
            for pos in b.members:
                block_of[pos] = b.id
            blocks.append(b)
    scopes: dict[str, set[int]] = defaultdict(set)
    for key, obs, _ in observations:
        for pos, v in obs.items():
            if pos in block_of:
                blocks[block_of[pos]].values.add(v)
                scopes[key].add(block_of[pos])
    notes: dict[str, list[str]] = defaultdict(list)
    for key, pairs in per_fn.items():
        loose = [(a, b) for a, b in sorted(pairs) if 0 < cooc[(a, b)][1] < cooc[(a, b)][0]]
        for a, b in loose[:3]:
            n, eq = cooc[(a, b)]
            notes[key].append(
                f"{describe(order[a], key)} and {describe(order[b], key)} were equal in {eq} "
                f"of {n} recorded calls that saw both: annotated as separate axes"
            )
        if len(loose) > 3:
            notes[key].append(f"and {len(loose) - 3} more pairs of sizes equal in some calls only")
    model = Model(
        functions, slots, blocks, block_of, dict(scopes), observations, notes, set(), conflicted
    )
    _fixed_and_related(model)
    return model


def _usable_links(links: list[Any], slots: dict[Slot, SlotInfo]) -> list[tuple[Pos, Pos]]:
    """Position pairs of the data-flow links between two slots of one fixed rank,
    leaving out a slot that received arrays from several slots of one owner (a
    helper such as `normal(key, shape)` serves many fields: not one axis)."""
    partners: dict[Slot, dict[str, set[Slot]]] = defaultdict(lambda: defaultdict(set))
    pairs = []
    for a, b in links:
        sa: Slot = (a[0], tuple(a[1:]))
        sb: Slot = (b[0], tuple(b[1:]))
        partners[sa][sb[0]].add(sb)
        partners[sb][sa[0]].add(sa)
        pairs.append((sa, sb))
    out = []
    for sa, sb in pairs:
        ia, ib = slots.get(sa), slots.get(sb)
        if ia is None or ib is None or ia.variadic or ia.ranks != ib.ranks or not ia.ranks:
            continue
        if any(len(v) > 1 for s in (sa, sb) for v in partners[s].values()):
            continue
        out += [((sa[0], sa[1], i), (sb[0], sb[1], i)) for i in range(next(iter(ia.ranks)))]
    return out


def describe(pos: Pos, fn: str | None = None) -> str:
    owner, path, i = pos
    where = ".".join(path) if owner == fn else f"{owner.rsplit('::', 1)[-1]}.{'.'.join(path)}"
    return f"{where}'s leading axes" if i == "*" else f"{where}.shape[{i}]"


def _fixed_and_related(model: Model) -> None:
    blocks = model.blocks
    for key, scope in model.scopes.items():
        if not any(blocks[b].varied for b in scope):
            n = sum(c["n"] for c in model.functions[key]["calls"])
            if scope:
                model.cannot_tell.add(key)
                model.notes[key].append(
                    f"every one of its {n} recorded call{'s' if n != 1 else ''} had the same "
                    "sizes, so the run cannot tell which sizes are fixed and which only "
                    "coincide: run a second configuration with other sizes (another batch "
                    "size, sequence length, width)"
                )
    for b in blocks:
        if b.varied or not b.values:
            continue
        scopes = [s for s in model.scopes.values() if b.id in s]
        if any(blocks[o].varied for s in scopes for o in s) and all(
            isinstance(v, int) for v in b.values
        ):
            b.fixed = next(iter(b.values))
    # relations: a varied block that is base+c or k*base in every call that saw both
    per_obs: list[dict[int, Any]] = []
    for _, obs, _ in model.observations:
        per_obs.append({model.block_of[p]: v for p, v in obs.items() if p in model.block_of})
    bases: set[int] = set()
    for b in blocks:
        if b.id in bases or not b.varied or not all(isinstance(v, int) for v in b.values):
            continue
        seen = [o for o in per_obs if b.id in o]
        for a in blocks:
            if a.id == b.id or a.relation or not a.varied or a.fixed is not None:
                continue
            both = [o for o in seen if a.id in o]
            if len(both) < len(seen) or len({o[a.id] for o in both}) < MIN_SIZES:
                continue
            rel = _relation([(o[a.id], o[b.id]) for o in both])
            if rel is not None:
                b.relation = (a.id, *rel)
                bases.add(a.id)
                break
        if b.relation is None:
            b.differences = _differences(b, blocks, seen)
            for plus, minus, _ in b.differences:
                bases.update((plus, minus))


def _differences(
    b: Block, blocks: list[Block], seen: list[dict[int, Any]]
) -> list[tuple[int, int, int]]:
    """Every (a1, a2, c) with b = a1 - a2 + c (c in -1..1) in every call, over
    at least MIN_SIZES different (a1, a2) pairs (the writer takes one whose
    blocks the function's arguments bind)."""
    out: list[tuple[int, int, int]] = []
    usable = [
        a
        for a in blocks
        if a.id != b.id
        and a.varied
        and a.relation is None
        and a.fixed is None
        and all(a.id in o and isinstance(o[a.id], int) for o in seen)
    ]
    for a1 in usable:
        for a2 in usable:
            if a1.id == a2.id or len({(o[a1.id], o[a2.id]) for o in seen}) < MIN_SIZES:
                continue
            for c in (1, 0, -1):
                if all(o[b.id] == o[a1.id] - o[a2.id] + c for o in seen):
                    out.append((a1.id, a2.id, c))
    return out


def _relation(pairs: list[tuple[Any, Any]]) -> tuple[str, int] | None:
    if not all(isinstance(x, int) and x > 0 for p in pairs for x in p):
        return None
    for c in OFFSETS:
        if all(y == x + c for x, y in pairs):
            return ("+", c)
    for k in FACTORS:
        if all(y == k * x for x, y in pairs):
            return ("*", k)
    return None
