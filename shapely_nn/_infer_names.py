"""Names for the axes `_infer.py` found, the ones a reviewer would keep, in this
order: the names of existing annotations; declared `sn.axis` names (an axis
declared with a size names the dimension that kept that size); then names the
code gives: integer parameters whose value is the size in every call
(`synthetic_data(key, batch, feature)`), `t = x.shape[1]` and `n, d = x.shape`,
and docstrings (`x [batch, feature]`). A name that is a declared axis's wins
over one that is not. Two axes seen by one function never share a name; the
same axis has one name across the module. What no code names is named after
where it appears (`w1_1`), and the report says so."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from typing import Any

from . import _infer
from ._record import iter_defs

__all__ = ["SourceInfo", "assign", "dims_of", "parse_source"]

EXISTING, DECLARED_SIZE, INT_PARAM, SHAPE_USE, DOCSTRING = 100, 90, 30, 25, 20
DECLARED_BONUS = 50
_NOT_AXES = {"seed", "axis", "dim", "steps", "step", "epochs", "verbose", "key", "i", "j", "idx"}
_BRACKETS = re.compile(
    r"(?:\b([A-Za-z_]\w*)\s*:?\s*)?\[\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_0-9]\w*)*)\s*\]"
)


class SourceInfo:
    """A file's functions and classes: parameters, annotations, docstrings, uses
    of `.shape`."""

    def __init__(self) -> None:
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}


def parse_source(text: str) -> SourceInfo:
    info = SourceInfo()
    for qual, node in iter_defs(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            info.classes[qual] = node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.functions[qual] = node
    return info


def dims_of(expr: ast.expr | None, axis_globals: dict[str, str]) -> list[str] | None:
    """The dimension names of a jaxtyping annotation (`Float[Array, "b t"]`,
    inside `Annotated[...]` or `X | None`), or None when it has none."""
    if expr is None:
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return dims_of(expr.left, axis_globals) or dims_of(expr.right, axis_globals)
    if not isinstance(expr, ast.Subscript):
        return None
    base = (
        expr.value.attr if isinstance(expr.value, ast.Attribute) else getattr(expr.value, "id", "")
    )
    items = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
    if base == "Annotated" and items:
        return dims_of(items[0], axis_globals)
    if len(items) != 2:
        return None
    spec = items[1]
    if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
        return spec.value.split()
    if isinstance(spec, ast.JoinedStr):
        text = ""
        for part in spec.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name):
                if part.value.id not in axis_globals:
                    return None
                text += axis_globals[part.value.id]
            else:
                return None
        return text.split()
    return None


def _plain(dim: str) -> str | None:
    name = dim.lstrip("#*")
    return name if name.isidentifier() and not name.startswith("_") else None


class _Evidence:
    def __init__(self, model: _infer.Model, declared: dict[str, Any]) -> None:
        self.model = model
        self.declared = declared
        self.cands: dict[int, dict[str, int]] = defaultdict(dict)

    def add(self, pos: _infer.Pos, name: str | None, score: int) -> None:
        b = self.model.block_of.get(pos)
        if b is None or not name or not name.isidentifier() or name.startswith("_"):
            return
        if name in self.declared:
            score += DECLARED_BONUS
        else:
            for alt in _variants(name):
                if alt in self.declared:
                    name, score = alt, score + DECLARED_BONUS - 5
                    break
        old = self.cands[b].get(name, 0)
        self.cands[b][name] = max(old, score) + min(old, score) // 10

    def slot_dims(self, slot: _infer.Slot, dims: list[str], score: int) -> None:
        info = self.model.slots.get(slot)
        if info is None or not info.ranks:
            return
        star = [i for i, d in enumerate(dims) if d.startswith("*") or d == "..."]
        if not info.variadic and not star and len(dims) in info.ranks:
            for i, d in enumerate(dims):
                self.add((*slot, i), _plain(d), score)
        elif info.variadic and len(star) == 1:
            tail = dims[star[0] + 1 :]
            if dims[star[0]].startswith("*"):
                self.add((*slot, "*"), _plain(dims[star[0]]), score)
            for j, d in enumerate(tail):
                self.add((*slot, j - len(tail)), _plain(d), score)


def _variants(name: str) -> list[str]:
    out = []
    for pre in ("n_", "num_", "n"):
        if name.startswith(pre) and len(name) > len(pre) + 1:
            out.append(name[len(pre) :])
    for suf in ("_size", "_dim", "s", "_len"):
        if name.endswith(suf) and len(name) > len(suf) + 1:
            out.append(name[: -len(suf)])
    return out + [o[:-1] for o in out if o.endswith("s")]


def _shape_uses(fn: ast.AST) -> list[tuple[tuple[str, ...], Any, str]]:
    """(the array's path: param or param.field, index, name) for `n = x.shape[i]`,
    `n, d = x.shape`, `n = len(x)`."""

    def path(e: ast.expr) -> tuple[str, ...] | None:
        if isinstance(e, ast.Name):
            return (e.id,)
        if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name):
            return (e.value.id, e.attr)
        return None

    out = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute):
                idx = _int(value.slice)
                p = path(value.value.value)
                if value.value.attr == "shape" and idx is not None and p:
                    out.append((p, idx, target.id))
            elif (
                isinstance(value, ast.Call)
                and getattr(value.func, "id", "") == "len"
                and len(value.args) == 1
            ):
                p = path(value.args[0])
                if p:
                    out.append((p, 0, target.id))
        elif (
            isinstance(target, ast.Tuple)
            and isinstance(value, ast.Attribute)
            and value.attr == "shape"
        ):
            p = path(value.value)
            star = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            n = len(target.elts)
            for i, e in enumerate(target.elts):
                if isinstance(e, ast.Name) and p:
                    idx = i if not star or i < star[0] else i - n
                    out.append((p, idx, e.id))
    return out


def _int(e: ast.expr) -> int | None:
    if isinstance(e, ast.Constant) and isinstance(e.value, int):
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        v = _int(e.operand)
        return None if v is None else -v
    return None


def gather(
    model: _infer.Model,
    sources: dict[str, SourceInfo],
    declared: dict[str, Any],
    axis_globals: dict[str, dict[str, str]],
) -> _Evidence:
    ev = _Evidence(model, declared)
    for path, src in sources.items():
        names = axis_globals.get(path, {})
        for qual, node in src.functions.items():
            key = f"{path}::{qual}"
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                dims = dims_of(a.annotation, names)
                if dims is not None:
                    ev.slot_dims((key, (a.arg,)), dims, EXISTING)
            dims = dims_of(node.returns, names)
            if dims is not None:
                ev.slot_dims((key, ("return",)), dims, EXISTING)
            _docstring(ev, key, node, ast.get_docstring(node) or "")
            for p, idx, name in _shape_uses(node):
                slot = _resolve(model, key, p)
                if slot is not None:
                    ev.add(_index(model, slot, idx), name, SHAPE_USE)
        for qual, cls in src.classes.items():
            key = f"{path}::{qual}"
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    dims = dims_of(stmt.annotation, names)
                    if dims is not None:
                        ev.slot_dims((key, (stmt.target.id,)), dims, EXISTING)
            for m in _BRACKETS.finditer(ast.get_docstring(cls) or ""):
                if m.group(1):
                    ev.slot_dims((key, (m.group(1),)), _split(m.group(2)), DOCSTRING)
    _int_params(ev)
    _same_sizes(ev)
    for b in model.blocks:
        for name, spec in declared.items():
            if spec.get("size") is not None and b.fixed == spec["size"]:
                ev.add(b.members[0], name, DECLARED_SIZE - DECLARED_BONUS)
    return ev


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",")]


def _docstring(ev: _Evidence, key: str, node: ast.AST, doc: str) -> None:
    slots = ev.model.slots
    unprefixed = []
    for m in _BRACKETS.finditer(doc):
        prefix, dims = m.group(1), _split(m.group(2))
        if prefix and (key, (prefix,)) in slots:
            ev.slot_dims((key, (prefix,)), dims, DOCSTRING)
        else:
            unprefixed.append(dims)
    ret = slots.get((key, ("return",)))
    if ret is None:
        return
    if ret.ranks and len(unprefixed) == 1:
        ev.slot_dims((key, ("return",)), unprefixed[0], DOCSTRING)
    elif ret.items and len(unprefixed) in ret.items:
        for i, dims in enumerate(unprefixed):
            ev.slot_dims((key, ("return", str(i))), dims, DOCSTRING)


def _resolve(model: _infer.Model, key: str, p: tuple[str, ...]) -> _infer.Slot | None:
    if len(p) == 1:
        return (key, p) if (key, p) in model.slots else None
    info = model.slots.get((key, (p[0],)))
    if info is None or len(info.cls) != 1:
        return None
    slot = (next(iter(info.cls)), (p[1],))
    return slot if slot in model.slots else None


def _index(model: _infer.Model, slot: _infer.Slot, idx: int) -> _infer.Pos:
    info = model.slots[slot]
    if info.variadic:
        return (*slot, idx if idx < 0 else -1 - 10**6)
    rank = next(iter(info.ranks), 0)
    return (*slot, idx + rank if idx < 0 else idx)


def _int_params(ev: _Evidence) -> None:
    model = ev.model
    count: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    varied: dict[tuple[str, str], set[int]] = defaultdict(set)
    for key, obs, ints in model.observations:
        by_block = {model.block_of[p]: v for p, v in obs.items() if p in model.block_of}
        for name, v in ints.items():
            varied[(key, name)].add(v)
            for b, bv in by_block.items():
                c = count[(key, name, b)]
                c[0] += 1
                c[1] += bv == v
    by_values: dict[tuple[str, frozenset[Any]], list[int]] = defaultdict(list)
    for b in model.blocks:
        if len(b.values) > 1:
            by_values[(b.members[0][0].split("::")[0], frozenset(b.values))].append(b.id)
    for (key, name), values in varied.items():
        # an integer parameter that took the same sizes as an axis seen elsewhere
        for b in (
            by_values.get((key.split("::")[0], frozenset(values)), ()) if len(values) > 1 else ()
        ):
            if name not in _NOT_AXES:
                ev.add(model.blocks[b].members[0], name, INT_PARAM // 2)
    for (key, name, b), (n, eq) in count.items():
        block = model.blocks[b]
        if n != eq or name in _NOT_AXES or not isinstance(next(iter(block.values)), int):
            continue
        if block.varied and len(varied[(key, name)]) > 1:
            ev.add(block.members[0], name, INT_PARAM)
        elif min(block.values) >= 2:
            ev.add(block.members[0], name, INT_PARAM // 4)


def _same_sizes(ev: _Evidence) -> None:
    """Names shared between axes of one file that took exactly the same sizes
    in the run (at least two): an array made under `jax.jit` and passed on is a
    new object, so no data-flow link says they are one axis; the sizes do."""
    groups: dict[tuple[str, frozenset[Any]], list[int]] = defaultdict(list)
    for b in ev.model.blocks:
        if len(b.values) > 1 and all(isinstance(v, int) for v in b.values):
            groups[(b.members[0][0].split("::")[0], frozenset(b.values))].append(b.id)
    direct = {b: dict(c) for b, c in ev.cands.items()}
    for ids in groups.values():
        for b in ids:
            for other in ids:
                for name, score in direct.get(other, {}).items() if other != b else ():
                    old = ev.cands[b].get(name, 0)
                    ev.cands[b][name] = max(old, score // 2)


def assign(model: _infer.Model, ev: _Evidence) -> None:
    """Give every block a name: its best candidate that no block it shares a
    function with has taken; else one after where it appears."""
    blocks = model.blocks
    neighbours: dict[int, set[int]] = defaultdict(set)
    for scope in model.scopes.values():
        for b in scope:
            neighbours[b] |= scope
    taken: dict[int, str] = {}

    def free(b: int, name: str) -> bool:
        return all(taken.get(o) != name for o in neighbours[b] if o != b)

    def best(b: int) -> int:
        return max(ev.cands[b].values(), default=0)

    for b in sorted(range(len(blocks)), key=lambda i: (-best(i), i)):
        for name, _ in sorted(ev.cands[b].items(), key=lambda kv: (-kv[1], kv[0])):
            if free(b, name):
                taken[b] = name
                break
    for block in blocks:
        if block.fixed is not None:
            spec = ev.declared.get(taken.get(block.id, ""), {})
            block.literal = spec.get("size") != block.fixed
        if block.id in taken:
            block.name = taken[block.id]
            continue
        base = _fallback(block, model.functions)
        name, n = base, 2
        while not free(block.id, name) or name in ev.declared:
            name, n = f"{base}_{n}", n + 1
        block.name = taken[block.id] = name
        block.fallback = True


def _fallback(block: _infer.Block, functions: dict[str, Any]) -> str:
    def rank(pos: _infer.Pos) -> tuple[int, int]:
        owner, path, _ = pos
        kind = 2 if path[0] == "return" else (0 if owner in functions else 1)
        return (kind, len(path))

    owner, path, i = min(block.members, key=rank)
    leaf = path[-1] if not path[-1].isdigit() else path[0]
    if leaf == "return":
        leaf = owner.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
    leaf = leaf.lstrip("_") or "x"
    if i == "*":
        return f"{leaf}_batch"
    return f"{leaf}_{i}" if i >= 0 else f"{leaf}_last{-i - 1 or ''}"
