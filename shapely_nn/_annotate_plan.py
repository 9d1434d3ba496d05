"""What `shapely-nn annotate` proposes, as text: for each recorded function the
annotation of each array (or parameter-structure) argument and of its return
value, for each parameter structure the annotation of each array field, and
the notes that go with them. Built from a recording by `_infer.py` (the axes)
and `_infer_names.py` (their names)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from . import _annotate_contradict, _infer, _infer_names

__all__ = ["FunctionPlan", "Plan", "make_plan"]

DTYPES = {
    "float": "Float",
    "int": "Int",
    "bool": "Bool",
    "complex": "Complex",
    "key": "Key",
    "other": "Shaped",
}


@dataclass
class FunctionPlan:
    qualname: str
    params: dict[str, str] = field(default_factory=dict)
    returns: str | None = None
    calls: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Proposed annotations, file by file."""

    functions: dict[str, dict[str, FunctionPlan]]  # file -> qualname -> plan
    classes: dict[str, dict[str, dict[str, str]]]  # file -> class qualname -> field -> text
    modules: dict[str, str]  # file -> module name
    cannot_tell: list[str]
    fallback_names: list[str]
    status: int | None = None
    contradicted: list[str] = field(default_factory=list)  # "module.fn: what"


def make_plan(recording: dict[str, Any]) -> Plan:
    model = _infer.build(recording)
    files: dict[str, str] = recording["files"]
    sources = {}
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                sources[path] = _infer_names.parse_source(f.read())
        except (OSError, SyntaxError):
            continue
    axes = recording.get("axes", {})
    declared = {a["name"]: a for a in axes.get("declared", [])}
    ev = _infer_names.gather(model, sources, declared, axes.get("globals", {}))
    _infer_names.assign(model, ev)
    render = _Render(model)
    fallback = sorted({b.name for b in model.blocks if b.fallback and not b.literal})
    plan = Plan({}, {}, dict(files), [], fallback)
    for key, text in _annotate_contradict.contradictions(model, sources).items():
        path, qual = key.split("::", 1)
        plan.contradicted.append(f"{files.get(path, path)}.{qual}: {text}")
    for key, fn in recording["functions"].items():
        path, qual = key.split("::", 1)
        fp = FunctionPlan(qual, calls=sum(c["n"] for c in fn["calls"]))
        bound: set[int] = set()
        for name in fn["params"]:
            if name in ("self", "cls") and fn["params"][0] == name:
                render.bind((key, (name,)), bound)
                continue
            text = render.slot((key, (name,)), path, bound, fp.notes)
            if text is not None:
                fp.params[name] = text
            render.bind((key, (name,)), bound)
        fp.returns = render.slot((key, ("return",)), path, bound, fp.notes)
        fp.notes += model.notes.get(key, [])
        plan.functions.setdefault(path, {})[qual] = fp
        if key in model.cannot_tell:
            plan.cannot_tell.append(f"{files.get(path, path)}.{qual}")
    for owner, fpath in model.slots:
        if "::" not in owner or len(fpath) != 1 or owner in recording["functions"]:
            continue
        cpath, cqual = owner.split("::", 1)
        text = render.slot((owner, fpath), cpath, None, [])
        if text is not None:
            plan.classes.setdefault(cpath, {}).setdefault(cqual, {})[fpath[0]] = text
    texts = " ".join(
        [t for fns in plan.functions.values() for fp in fns.values() for t in fp.params.values()]
        + [fp.returns or "" for fns in plan.functions.values() for fp in fns.values()]
        + [t for cls in plan.classes.values() for fields in cls.values() for t in fields.values()]
    )
    words = set(re.findall(r"\w+", texts))
    plan.fallback_names = [n for n in plan.fallback_names if n in words]
    return plan


class _Render:
    def __init__(self, model: _infer.Model) -> None:
        self.model = model

    def bind(self, slot: _infer.Slot, bound: set[int]) -> None:
        """Adds the axes an argument's own arrays bind to `bound`."""
        if slot not in self.model.slots:
            return
        for pos, b in self.model.block_of.items():
            if pos[0] == slot[0] and pos[1][: len(slot[1])] == slot[1]:
                bound.add(b)
        # the fields of a parameter structure do not bind the function's axes:
        # code not written for shapely_nn is checked as jaxtyping reads it, a
        # dataclass argument's fields among themselves (a symbolic axis of a
        # later argument cannot use them)

    def slot(
        self, slot: _infer.Slot, file: str, bound: set[int] | None, notes: list[str]
    ) -> str | None:
        info = self.model.slots.get(slot)
        if info is None:
            return None
        owner, path = slot
        what = ".".join(path)
        if info.ranks and not info.other and not info.cls and not info.items:
            text = self.array(slot, info, bound, notes, what)
        elif info.cls and len(info.cls) == 1 and not (info.ranks or info.other or info.items):
            cpath, cqual = next(iter(info.cls)).split("::", 1)
            if os.path.realpath(cpath) != os.path.realpath(file) or "." in cqual:
                return None
            text = cqual
        elif len(info.items) == 1 and not (info.ranks or info.other or info.cls):
            items = []
            for i in range(next(iter(info.items))):
                sub = self.slot((owner, (*path, str(i))), file, bound, notes)
                if sub is None:
                    return None
                items.append(sub)
            text = f"tuple[{', '.join(items)}]"
        else:
            return None
        return f"{text} | None" if info.none else text

    def array(
        self,
        slot: _infer.Slot,
        info: _infer.SlotInfo,
        bound: set[int] | None,
        notes: list[str],
        what: str,
    ) -> str:
        model = self.model
        dtype = DTYPES[next(iter(info.dtypes))] if len(info.dtypes) == 1 else "Shaped"
        if len(info.dtypes) > 1:
            notes.append(
                f"{what} was {' and '.join(sorted(info.dtypes))} in different calls: "
                "annotated Shaped (any dtype)"
            )
        libs = {"jax": "Array", "numpy": "np.ndarray"}
        kind = " | ".join(libs[lib] for lib in sorted(info.libs))
        rank = min(info.ranks)
        if info.variadic:
            idxs: list[Any] = ["*", *range(-rank, 0)]
        else:
            idxs = list(range(rank))
        dims = []
        for i in idxs:
            pos = (*slot, i)
            b = model.block_of.get(pos)
            if b is None:
                dims.append("*_" if i == "*" else "_")
                if pos in model.conflicted:
                    notes.append(
                        f"{_infer.describe(pos)} had different sizes in one call (two "
                        "instances of the structure): left open as '_'"
                    )
                continue
            block = model.blocks[b]
            if i == "*":
                dims.append("*" + block.name)
            elif block.literal:
                dims.append(str(block.fixed))
            elif bound is not None and any({p, m} <= bound for p, m, _ in block.differences):
                plus, minus, c = next(d for d in block.differences if {d[0], d[1]} <= bound)
                expr = f"{model.blocks[plus].name}-{model.blocks[minus].name}"
                dims.append(expr + (f"{c:+d}" if c else ""))
            elif block.relation and bound is not None and block.relation[0] in bound:
                base, op, c = block.relation
                name = model.blocks[base].name
                dims.append(f"{c}*{name}" if op == "*" else f"{name}{c:+d}")
            else:
                dims.append(block.name)
                unwritten = _relation_text(model, block)
                if unwritten and bound is not None:
                    # it held in every call, but an earlier argument does not bind
                    # its axes (a structure's field, or a later argument)
                    notes.append(
                        f"{what}.shape[{i}] was {unwritten} in every call, but the "
                        f"arguments before it do not bind those axes, so it is its own axis "
                        f"{block.name!r}; generated tests need the relation: "
                        f"sizes={{{block.name!r}: {unwritten!r}}}"
                    )
        spec = " ".join(dims)
        if len(dims) == 1:
            spec = " " + spec
        return f'{dtype}[{kind}, "{spec}"]'


def _relation_text(model: _infer.Model, block: _infer.Block) -> str | None:
    """A relation the block held in every call, as an expression of axis names."""
    if block.differences:
        plus, minus, c = block.differences[0]
        text = f"{model.blocks[plus].name}-{model.blocks[minus].name}"
        return text + (f"{c:+d}" if c else "")
    if block.relation:
        base, op, c = block.relation
        name = model.blocks[base].name
        return f"{c}*{name}" if op == "*" else f"{name}{c:+d}"
    return None
