"""The result of `sn.testing.check`: one line per property."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

__all__ = ["PropertyResult", "Report"]

STATUSES = ("passed", "failed", "skipped", "rejected")


@dataclass(frozen=True)
class PropertyResult:
    """One property of one function: passed, failed (with the failing example),
    skipped (with the reason), or rejected: the function refused every input
    drawn for it through its own check (a precondition the annotations do not
    state; the reason quotes it)."""

    prop: str
    status: str
    reason: str = ""  # why skipped, or what differed
    sizes: str = ""  # the failing example's sizes
    seed: int | None = None
    example: int | None = None

    def describe(self) -> str:
        if self.status == "passed":
            return f"{self.prop}: passed"
        if self.status == "skipped":
            return f"{self.prop}: skipped ({self.reason})"
        if self.status == "rejected":
            return f"{self.prop}: rejected ({self.reason})"
        # (no example when the annotations themselves are at fault)
        where = (
            f" (example {self.example}, seed {self.seed}, sizes {self.sizes})"
            if self.example is not None
            else ""
        )
        lines = []
        for line in self.reason.splitlines() or [""]:
            if line.startswith(" "):  # pre-formatted (an error message's table)
                lines.append(line)
            else:
                lines.extend(textwrap.wrap(line, 74, subsequent_indent="  ") or [""])
        return f"{self.prop}: FAILED{where}\n" + textwrap.indent("\n".join(lines), "    ")


@dataclass
class Report:
    """What `sn.testing.check(fn)` found, property by property."""

    function: str
    results: list[PropertyResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the examples were drawn, if unusual

    def __getitem__(self, prop: str) -> PropertyResult:
        for r in self.results:
            if r.prop == prop:
                return r
        raise KeyError(f"{self.function}: no property {prop!r} in this report")

    @property
    def passed(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status == "passed"]

    @property
    def failed(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def rejected(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status == "rejected"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        head = (
            f"{self.function}: {len(self.passed)} passed, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped"
        )
        if self.rejected:
            head += f", {len(self.rejected)} rejected"
        lines = [head] + ["  " + r.describe() for r in self.results]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])
