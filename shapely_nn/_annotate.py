"""`sn.record`: record what a run passes to a target's functions, then read,
diff or write the jaxtyping annotations that the recording implies; and the
same for a command run in its own process (`shapely-nn annotate`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Sequence
from typing import Any

from . import _annotate_plan, _annotate_write, _discovery, _record

__all__ = ["Recording", "record", "record_command"]


class Recording:
    """What a run passed to the functions of a target, and the annotations it
    implies. Made by `sn.record(target)`, used as a context manager:

    ```py
    with sn.record("mypkg.model") as rec:
        run_my_model_at_two_sizes()
    print(rec.diff())          # a unified diff adding the annotations
    rec.annotations()          # {"mypkg.model.loss": {"x": 'Float[Array, "batch feature"]', ...}}
    rec.write()                # apply it (existing annotations kept unless overwrite=True)
    print(rec.report())        # what was annotated, kept, never called, and why
    ```
    """

    def __init__(self, target: str | types.ModuleType, data: dict[str, Any] | None = None) -> None:
        self.target = target if isinstance(target, str) else target.__name__
        self._module = None if isinstance(target, str) else target
        self.data: dict[str, Any] | None = data
        self.status: int | None = None
        self._recorder: _record.Recorder | None = None
        self._plan: _annotate_plan.Plan | None = None

    # -------------------------------------------------------------- recording

    def __enter__(self) -> Recording:
        root = self._module or _discovery.load_target(self.target)
        files = _record.target_files(_discovery.iter_modules(root))
        self._recorder = _record.Recorder(files)
        self._recorder.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recorder is not None:
            self._recorder.stop()
            self.data = self._recorder.result()
            self._recorder = None
            self._plan = None

    @classmethod
    def load(cls, target: str, path: str) -> Recording:
        """A recording written as JSON (by `shapely-nn annotate`'s child process)."""
        with open(path, encoding="utf-8") as f:
            return cls(target, json.load(f))

    # -------------------------------------------------------------- results

    def plan(self) -> _annotate_plan.Plan:
        if self.data is None:
            raise RuntimeError("nothing recorded yet: use `with sn.record(target) as rec:` first")
        if self._plan is None:
            self._plan = _annotate_plan.make_plan(self.data)
        return self._plan

    def called(self) -> list[str]:
        """The functions (module.qualname) called during the run."""
        plan = self.plan()
        return sorted(
            f"{plan.modules[path]}.{q}" for path, fns in plan.functions.items() for q in fns
        )

    def annotations(self) -> dict[str, dict[str, str]]:
        """{"module.function": {"argument" or "return": annotation}} and
        {"module.Class": {"field": annotation}}, as proposed (before comparing
        them with what the source already has)."""
        plan = self.plan()
        out: dict[str, dict[str, str]] = {}
        for path, fns in plan.functions.items():
            for qual, fp in fns.items():
                entry = dict(fp.params)
                if fp.returns is not None:
                    entry["return"] = fp.returns
                if entry:
                    out[f"{plan.modules[path]}.{qual}"] = entry
        for path, classes in plan.classes.items():
            for qual, fields in classes.items():
                out[f"{plan.modules[path]}.{qual}"] = dict(fields)
        return dict(sorted(out.items()))

    def edit(self, *, overwrite: bool = False) -> _annotate_write.Edit:
        return _annotate_write.edit_files(self.plan(), overwrite=overwrite)

    def diff(self, *, overwrite: bool = False) -> str:
        """A unified diff that adds the annotations (empty when nothing changes)."""
        return _annotate_write.unified_diff(self.edit(overwrite=overwrite))

    def write(self, *, overwrite: bool = False) -> list[str]:
        """Apply the diff in place; the files changed."""
        edit = self.edit(overwrite=overwrite)
        for path, text in edit.new.items():
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return sorted(edit.new)

    def report(self, *, overwrite: bool = False, edit: _annotate_write.Edit | None = None) -> str:
        """What was annotated, what was kept, what was never called, and the notes."""
        plan = self.plan()
        edit = edit or self.edit(overwrite=overwrite)
        lines = [_count(edit.annotated)]
        if edit.kept:
            kept: dict[str, list[str]] = {}
            for entry in edit.kept:
                fn, _, arg = entry.rstrip(")").partition("(")
                kept.setdefault(fn, []).append(arg)
            lines.append(
                f"kept the existing shape annotations (overwrite to replace them) of {len(kept)} "
                f"function{'s' if len(kept) != 1 else ''}: "
                + ", ".join(f"{fn} ({', '.join(args)})" for fn, args in kept.items())
            )
        if plan.contradicted:
            lines.append(
                "the run contradicts these existing annotations (kept: check them, or "
                "--overwrite to replace them):"
            )
            lines += [f"  {entry}" for entry in plan.contradicted]
        if edit.not_called:
            lines.append(
                "not annotated, never called during the run: " + ", ".join(edit.not_called)
            )
        if plan.cannot_tell:
            lines.append(
                "the run cannot tell fixed sizes from coincidences for "
                + ", ".join(plan.cannot_tell)
                + ": every call had the same sizes. Run a second configuration (another "
                "batch size, sequence length or width) in the same command, then annotate again"
            )
        if plan.fallback_names:
            lines.append(
                "no name in the code for the axes named "
                + ", ".join(plan.fallback_names)
                + " (after where they appear): rename them, or name them in a docstring "
                "(`x [batch, feature]`) or a parameter, and annotate again"
            )
        notes = [
            (f"{plan.modules[path]}.{q}", note)
            for path, fns in sorted(plan.functions.items())
            for q, fp in sorted(fns.items())
            for note in fp.notes
        ]
        if notes:
            lines.append("notes:")
            lines += [f"  {name}: {note}" for name, note in notes]
        return "\n".join(lines) + "\n"


def _count(names: list[str]) -> str:
    if not names:
        return "nothing to annotate: every recorded function already has its annotations"
    return f"annotated {len(names)}: " + ", ".join(names)


def record(target: str | types.ModuleType) -> Recording:
    """Record the shapes, dtypes and array types every function of `target` (a
    module, a package, a .py file, or the module object) sees while the `with`
    block runs: `with sn.record("mypkg") as rec: ...`, then `rec.diff()`,
    `rec.annotations()`, `rec.write()`, `rec.report()`."""
    return Recording(target)


def record_command(
    target: str, command: Sequence[str], echo: Callable[[str], Any] | None = None
) -> tuple[Recording | None, int]:
    """Run `command` in a child process with recording on for `target`; the
    recording (None when the child could not start it: a bad target or command,
    already reported on its output) and the command's exit status. The child's
    output goes to `echo`, line by line (default: this process's stderr)."""
    write: Callable[[str], Any] = echo if echo is not None else sys.stderr.write
    fd, out = tempfile.mkstemp(prefix="shapely-nn-record-", suffix=".json")
    os.close(fd)
    os.unlink(out)
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "shapely_nn._record_main", target, out, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                write(line)
            status = proc.wait()
        if not os.path.exists(out):
            return None, status
        return Recording.load(target, out), status
    finally:
        if os.path.exists(out):
            os.unlink(out)
