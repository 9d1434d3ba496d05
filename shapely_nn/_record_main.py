"""The process `shapely-nn annotate` runs its COMMAND in: resolve the target's
files, switch recording on, run the command (a script, `-m module`, `-c code`
or a console-script entry point such as `pytest`) as `__main__`, and write
what was recorded as JSON, whatever way the command ends.

    python -m shapely_nn._record_main TARGET OUT.json COMMAND [ARGS...]
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import sys
import traceback
from typing import Any

from . import _discovery, _record

__all__ = ["main", "resolve_command"]


def resolve_command(command: list[str]) -> tuple[str, str, list[str]]:
    """(kind, what, argv) for a command: ("module", "pytest", argv),
    ("path", "script.py", argv), ("code", "...", argv) or ("entry",
    "module:attr", argv). ValueError with the reason when it does not run Python."""
    if not command:
        raise ValueError("no COMMAND after '--'")
    args = list(command)
    if re.fullmatch(r"python[\d.]*(\.exe)?", os.path.basename(args[0])) or os.path.realpath(
        args[0]
    ) == os.path.realpath(sys.executable):
        args = args[1:]
        while (args and args[0] in ("-u", "-B", "-O", "-X")) or (args and args[0].startswith("-W")):
            args = args[2:] if args[0] in ("-X", "-W") else args[1:]
        if not args:
            raise ValueError("the command starts Python without a script, -m MODULE or -c CODE")
    head = args[0]
    if head == "-m":
        if len(args) < 2:
            raise ValueError("'-m' needs a module name")
        return "module", args[1], [args[1], *args[2:]]
    if head == "-c":
        if len(args) < 2:
            raise ValueError("'-c' needs code")
        return "code", args[1], ["-c", *args[2:]]
    if head.endswith(".py") or os.path.isfile(head):
        if not os.path.isfile(head):
            raise ValueError(f"no such file: {head}")
        return "path", head, args
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="console_scripts") if ep.name == head]
    if found:
        return "entry", found[0].value, args
    exe = shutil.which(head)
    if exe and _is_python_script(exe):
        return "path", exe, args
    raise ValueError(
        f"{head!r} is not a Python script, a '-m module', a 'python ...' command or an "
        "installed Python entry point; shapely-nn annotate records Python code only"
    )


def _is_python_script(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            first = f.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _run(kind: str, what: str, argv: list[str]) -> int:
    sys.argv = argv
    try:
        if kind == "module":
            runpy.run_module(what, run_name="__main__", alter_sys=True)
        elif kind == "path":
            sys.path.insert(0, os.path.dirname(os.path.abspath(what)))
            runpy.run_path(what, run_name="__main__")
        elif kind == "code":
            sys.path.insert(0, "")
            exec(compile(what, "<string>", "exec"), {"__name__": "__main__"})
        else:
            import importlib

            module, _, attr = what.partition(":")
            obj: Any = importlib.import_module(module.strip())
            for part in attr.strip().split("."):
                obj = getattr(obj, part)
            result = obj()
            return result if isinstance(result, int) else 0
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write(f"{code}\n")
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def main(argv: list[str]) -> int:
    target, out, *command = argv
    try:
        kind, what, args = resolve_command(command)
    except ValueError as e:
        sys.stderr.write(f"shapely-nn: error: {e}\n")
        return 2
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        root = _discovery.load_target(target)
        modules = _discovery.iter_modules(root)
    except _discovery.TargetError as e:
        sys.stderr.write(f"shapely-nn: error: {e}\n")
        return 2
    recorder = _record.Recorder(_record.target_files(modules))
    recorder.start()
    try:
        status = _run(kind, what, args)
    finally:
        recorder.stop()
        data = recorder.result()
        with open(out, "w", encoding="utf-8") as f:
            json.dump(data, f)
    return status


if __name__ == "__main__":  # pragma: no cover - run as a process
    sys.exit(main(sys.argv[1:]))
