"""`shapely-nn annotate TARGET -- COMMAND [ARGS...]`: run COMMAND with recording
on for TARGET's functions, print the diff that adds the annotations the run
implies (or apply it with `--write`, then run `shapely-nn check` on the
result), and say what was annotated, kept, never called, and why."""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any, TextIO

from . import _annotate, _annotate_write, _discovery

__all__ = ["add_annotate_parser", "cmd_annotate"]

USAGE = "shapely-nn annotate [--write] [--overwrite] [--no-check] TARGET -- COMMAND [ARGS...]"


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--write",
        action="store_true",
        help="apply the annotations in place (default: print a diff)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing shape annotations too (default: keep them)",
    )
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="after --write, do not run `shapely-nn check TARGET` on the result",
    )


def add_annotate_parser(sub: Any, target_help: str) -> None:
    p = sub.add_parser(
        "annotate",
        help="run a command, then propose the shape annotations its calls imply",
        usage=USAGE,
        description="Run COMMAND (a Python script, `python -m pytest tests/`, `-m module`, an "
        "installed entry point) with recording on for the functions of TARGET, then print a "
        "unified diff adding jaxtyping annotations to them.",
    )
    p.add_argument("target", metavar="TARGET", help=target_help)
    _options(p)
    p.add_argument("rest", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")
    p.__class__ = _Parser
    p.set_defaults(func=cmd_annotate)


class _Parser(argparse.ArgumentParser):
    """Notes whether '--' was given: argparse drops it when it comes right
    after TARGET, and without it a command's own options would be ours."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        ns, extra = super().parse_known_args(args, namespace)
        ns.dashdash = "--" in args
        return ns, extra


def cmd_annotate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rest = list(args.rest)
    if not getattr(args, "dashdash", False):
        raise _discovery.TargetError(
            "put '--' between TARGET and the command to run, as in "
            f"`shapely-nn annotate {args.target} -- python run_model.py`"
        )
    command = rest
    if rest and rest[0] in ("--", "--write", "--overwrite", "--no-check") and "--" in rest:
        cut = rest.index("--")  # options after TARGET, then '--'
        more, command = rest[:cut], rest[cut + 1 :]
        extra = argparse.ArgumentParser(prog="shapely-nn annotate", usage=USAGE, add_help=False)
        _options(extra)
        late, unknown = extra.parse_known_args(more)
        if unknown:
            raise _discovery.TargetError(f"unexpected arguments before '--': {' '.join(unknown)}")
        for name in ("write", "overwrite", "no_check"):
            setattr(args, name, getattr(args, name) or getattr(late, name))
    if not command:
        raise _discovery.TargetError("no COMMAND after '--': name the Python program to run")
    try:
        _annotate_write._cst()  # fail before running a long command, not after
    except _annotate_write.MissingLibcst as e:
        raise _discovery.TargetError(str(e)) from None
    rec, status = _annotate.record_command(args.target, command, echo=err.write)
    if rec is None:
        err.write(f"shapely-nn: nothing recorded (exit status {status})\n")
        return 2
    if status != 0:
        err.write(
            f"shapely-nn: warning: the command exited with status {status}; the annotations "
            "below come from the calls recorded before it ended\n"
        )
    if not rec.called():
        err.write(
            f"shapely-nn: no function of {args.target} was called while the command ran: "
            "nothing to annotate (does the command import and run it?)\n"
        )
        return 1
    edit = rec.edit(overwrite=args.overwrite)
    if not args.write:
        out.write(_annotate_write.unified_diff(edit))
        err.write(rec.report(edit=edit))
        return 0
    for path, text in edit.new.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    err.write(rec.report(edit=edit))
    n = len(edit.new)
    err.write(f"wrote {n} file{'s' if n != 1 else ''}\n")
    if args.no_check:
        return 0
    return _check(args.target, edit.annotated, out, err)


def _check(target: str, annotated: list[str], out: TextIO, err: TextIO) -> int:
    """`shapely-nn check TARGET` in a fresh process (the files just changed);
    how many of the annotated functions passed."""
    err.write(f"\nshapely-nn check {target}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "shapely_nn", "check", target],
        capture_output=True,
        text=True,
    )
    out.write(proc.stdout)
    err.write(proc.stderr)
    rows = _rows(proc.stdout)
    checked = {a: r for a in annotated for r in rows if a == r or a.endswith("." + r)}
    passed = [a for a, r in checked.items() if rows[r]]
    n = len(annotated)
    err.write(
        f"annotated {n}; shapely-nn check ran on {len(checked)} of them "
        f"(classes and nested functions are checked through the functions that use them): "
        f"{len(passed)} passed every property"
        + (f", {len(checked) - len(passed)} failed\n" if len(passed) < len(checked) else "\n")
    )
    return 0 if proc.returncode == 0 else 1


def _rows(text: str) -> dict[str, bool]:
    """{function: passed} from `shapely-nn check`'s table."""
    rows: dict[str, bool] = {}
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("function")), None)
    if start is None:
        return rows
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith("("):
            break
        name = line.split()[0]
        rows[name] = "FAIL" not in line.split()[1:]
    return rows
