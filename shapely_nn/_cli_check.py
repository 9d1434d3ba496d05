"""`shapely-nn check`: run `sn.testing.check` on every annotated function of a
target, with a progress line, a results table, and what failed, was rejected
or skipped, and why."""

from __future__ import annotations

import argparse
import ast
import os
import sys
import textwrap
import time
from typing import Any, TextIO

from ._discovery import TargetError, load_target

__all__ = ["add_check_parser", "cmd_check"]

WIDTH = 80


class Style:
    def __init__(self, stream: TextIO) -> None:
        self.on = (
            stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        )

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text


def wrap(text: str, indent: str) -> str:
    return "\n".join(
        textwrap.wrap(text, WIDTH - 1, subsequent_indent=indent, break_on_hyphens=False)
    )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[len(text) - width + 1 :]


class Progress:
    """'[3/7] module.fn' on stderr: rewritten in place on a terminal, one line per
    function otherwise (so logs stay readable)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.tty = stream.isatty()

    def update(self, index: int, name: str, *, finished: bool = False) -> None:
        verb = "checked" if finished else "checking"
        line = _fit(f"[{index + 1}/{self.total}] {verb} {name}", WIDTH - 1)
        if self.tty:
            self.stream.write("\r" + line.ljust(WIDTH - 1))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (WIDTH - 1) + "\r")
            self.stream.flush()


# ------------------------------------------------------------------ options


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _literal(text: str) -> Any:
    """A Python literal (`3`, `0.5`, `None`, `(1, 2)`, `'x'`), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _sizes(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        v = _literal(value)
        out[name] = v if isinstance(v, int) and not isinstance(v, bool) else value
    return out


def add_check_parser(sub: Any, target_help: str, positive: Any) -> None:
    from .testing._properties import PROPERTIES

    p = sub.add_parser("check", help="run sn.testing.check on every annotated function")
    p.add_argument("target", metavar="TARGET", help=target_help)
    p.add_argument("--seed", type=int, default=0, help="seed for the drawn examples (default 0)")
    p.add_argument("--examples", type=positive, default=3, help="examples per function (default 3)")
    p.add_argument(
        "--jobs",
        type=positive,
        default=None,
        help="functions checked in parallel worker processes (default 1; XLA already uses "
        "several cores while compiling)",
    )
    p.add_argument(
        "--property",
        action="append",
        choices=PROPERTIES,
        metavar="P",
        help=f"only these properties (repeatable): {', '.join(PROPERTIES)}",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="a TOML file with a [tool.shapely_nn] table (or its keys at the top level): "
        "axes, sizes, fixed values, factories, per-function preconditions (default: the "
        "nearest pyproject.toml that has one)",
    )
    p.add_argument(
        "--sizes",
        action="append",
        type=_assignment,
        default=[],
        metavar="AXIS=SIZE",
        help="an axis's size, or a relation to other axes (batch=4, q_heads=2*kv_heads); "
        "repeatable",
    )
    p.add_argument(
        "--fixed",
        action="append",
        type=_assignment,
        default=[],
        metavar="ARG=VALUE",
        help="a non-array argument's value, as a Python literal, for every function that "
        "has it (eps=1e-5); repeatable",
    )
    cache = p.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where jax's compiled programs are kept between runs (default: the "
        "platform's cache directory, or $SHAPELY_NN_CACHE_DIR)",
    )
    cache.add_argument(
        "--no-cache", action="store_true", help="compile everything afresh, keep nothing"
    )
    p.add_argument(
        "--public-only",
        action="store_true",
        help="leave out functions and methods whose names start with '_'",
    )
    p.set_defaults(func=cmd_check)


def _settings(args: argparse.Namespace) -> Any:
    from .testing._settings import ConfigError, Settings

    try:
        settings = Settings.load(args.config) if args.config else Settings.find(os.getcwd())
        if settings is not None:
            settings.apply()
    except ConfigError as e:
        raise TargetError(f"configuration: {e}") from None
    return settings


# ------------------------------------------------------------------ the command


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .testing._cache import ENV_VAR
    from .testing._generate import case_options, discover, run_case
    from .testing._properties import PROPERTIES

    if args.no_cache or args.cache_dir:
        # (the environment also reaches --jobs workers)
        os.environ[ENV_VAR] = "off" if args.no_cache else args.cache_dir
    settings = _settings(args)
    module = load_target(args.target)
    functions = discover(module, private=not args.public_only)
    if not functions:
        err.write(f"shapely-nn: {args.target} has no functions with jaxtyping annotations\n")
        return 2
    if settings is not None:
        err.write(f"shapely-nn: configuration from {settings.source}\n")
    props = list(args.property or PROPERTIES)
    base: dict[str, Any] = {"seed": args.seed, "examples": args.examples, "properties": props}
    if args.sizes:
        base["sizes"] = _sizes(args.sizes)
    fixed = {name: _literal(value) for name, value in args.fixed}
    options = {}
    for name, obj in functions:
        opts = case_options(name, obj, base, settings)
        if fixed:
            from .testing._generate import parameters

            own = {k: v for k, v in fixed.items() if k in parameters(obj)}
            if own:
                opts["fixed"] = {**opts.get("fixed", {}), **own}
        options[name] = opts
    progress = Progress(len(functions), err)
    start = time.perf_counter()
    jobs = max(1, min(len(functions), args.jobs or 1))
    if jobs == 1:
        reports = []
        for i, (name, obj) in enumerate(functions):
            progress.update(i, name)
            reports.append((name, run_case(obj, options[name])))
    else:
        reports = _in_workers(args, functions, options, jobs, progress)
    progress.close()
    return render(reports, props, time.perf_counter() - start, out)


def _in_workers(
    args: argparse.Namespace,
    functions: list[Any],
    options: dict[str, Any],
    jobs: int,
    progress: Progress,
) -> list[tuple[str, Any]]:
    # XLA compilation dominates and holds the GIL for long stretches: check
    # functions in worker processes (spawned, as forking jax is unsafe)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    by_name = {}
    with ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(args.target, list(sys.path), os.getcwd(), args.config, args.public_only),
    ) as pool:
        futures = {pool.submit(_worker_run, name, options[name]): name for name, _ in functions}
        for i, fut in enumerate(as_completed(futures)):
            name = futures[fut]
            progress.update(i, name, finished=True)
            by_name[name] = fut.result()
    return [(name, by_name[name]) for name, _ in functions]


_CASES: dict[str, Any] = {}


def _worker_init(
    target: str, path: list[str], cwd: str, config: str | None, public_only: bool
) -> None:
    os.chdir(cwd)
    sys.path[:] = path
    from .testing._generate import discover

    _settings(argparse.Namespace(config=config))
    _CASES.update(discover(load_target(target), private=not public_only))


def _worker_run(name: str, options: dict[str, Any]) -> Any:
    from .testing._generate import run_case

    return run_case(_CASES[name], options)


# ------------------------------------------------------------------ the report

_CELL = {
    "passed": ("ok", "32"),
    "failed": ("FAIL", "31;1"),
    "skipped": ("-", "2"),
    "rejected": ("rej", "33"),
}


def render(reports: list[tuple[str, Any]], props: list[str], elapsed: float, out: TextIO) -> int:
    """The results table and the sections below it; the exit status."""
    from .testing._properties import REGISTRY

    style = Style(out)
    # names are never cut: two rows must never read alike
    name_w = max(8, *(len(n) for n, _ in reports))
    column = {p: REGISTRY[p].column for p in props}
    header = ("function".ljust(name_w) + "".join(f" {column[p]:<4}" for p in props)).rstrip()
    out.write(style(header, "1") + "\n")
    for name, report in reports:
        row = name.ljust(name_w)
        for p in props:
            text, code = _CELL[report[p].status]
            row += " " + style(f"{text:<4}", code)
        out.write(row.rstrip() + "\n")
    legend = ", ".join(f"{column[p]}={p}" for p in props if column[p] != p)
    any_rejected = any(rep.rejected for _, rep in reports)
    statuses = "ok passed, FAIL failed, " + ("rej rejected, " if any_rejected else "") + "- skipped"
    out.write(wrap(f"({legend}{'; ' if legend else ''}{statuses})", " ") + "\n")
    failures = [(n, r) for n, rep in reports for r in rep.failed]
    if failures:
        noun = "failure" if len(failures) == 1 else "failures"
        out.write("\n" + style(f"{len(failures)} {noun}:", "31;1") + "\n")
        for name, r in failures:
            out.write(f"\n{name}[{r.prop}]\n  " + r.describe().replace("\n", "\n  ") + "\n")
    rejected = [(n, rep.rejected[0]) for n, rep in reports if rep.rejected]
    if rejected:
        out.write("\n" + style("rejected (the function refused the drawn inputs):", "33;1") + "\n")
        for name, r in rejected:
            out.write(wrap(f"  {name} (example {r.example}, {r.sizes}): {r.reason}", "    ") + "\n")
    _skips(reports, out)
    notes = [(n, note) for n, rep in reports for note in rep.notes]
    if notes:
        out.write("\nnotes:\n")
        for name, note in notes:
            out.write(wrap(f"  {name}: {note}", "    ") + "\n")
    n_pass = sum(len(rep.passed) for _, rep in reports)
    n_skip = sum(len(rep.skipped) for _, rep in reports)
    n_rej = sum(len(rep.rejected) for _, rep in reports)
    noun = "function" if len(reports) == 1 else "functions"
    summary = f"{len(reports)} {noun}: {n_pass} passed, {len(failures)} failed, "
    summary += f"{n_rej} rejected, " if n_rej else ""
    summary += f"{n_skip} skipped in {elapsed:.1f}s"
    out.write("\n" + style(summary, "31;1" if failures else "32;1") + "\n")
    return 1 if failures else 0


def _skips(reports: list[tuple[str, Any]], out: TextIO) -> None:
    whole: list[tuple[str, str]] = []
    skips: dict[tuple[str, str], list[str]] = {}
    for name, rep in reports:
        reasons = {r.reason for r in rep.skipped}
        if rep.skipped and len(rep.skipped) == len(rep.results) and len(reasons) == 1:
            whole.append((name, reasons.pop()))
            continue
        for r in rep.skipped:
            skips.setdefault((r.prop, r.reason), []).append(name)
    if skips or whole:
        out.write("\nskipped:\n")
        for name, reason in whole:
            out.write(wrap(f"  {name} (every property): {reason}", "    ") + "\n")
        for (prop, reason), names in sorted(skips.items()):
            who = ", ".join(names) if len(names) <= 3 else f"{len(names)} functions"
            out.write(wrap(f"  {prop}: {reason} ({who})", "    ") + "\n")
