"""The `shapely-nn` command line: check, axes, docs."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, TextIO, cast

from ._discovery import TargetError, load_target
from ._errors import AnnotationWarning

__all__ = ["main"]

WIDTH = 80


class Style:
    def __init__(self, stream: TextIO) -> None:
        self.on = (
            stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        )

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .testing._generate import discover, run_case
    from .testing._properties import PROPERTIES, REGISTRY

    module = load_target(args.target)
    functions = discover(module)
    if not functions:
        err.write(f"shapely-nn: {args.target} has no functions with jaxtyping annotations\n")
        return 2
    props = list(args.property or PROPERTIES)
    style = Style(out)
    progress = Progress(len(functions), err)
    start = time.perf_counter()
    reports = []
    options: dict[str, Any] = {"seed": args.seed, "examples": args.examples, "properties": props}
    jobs = max(1, min(len(functions), args.jobs or 1))
    if jobs == 1:
        for i, (name, obj) in enumerate(functions):
            progress.update(i, name)
            reports.append((name, run_case(obj, options)))
    else:
        # XLA compilation dominates and holds the GIL for long stretches: check
        # functions in worker processes (spawned, as forking jax is unsafe)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        by_name = {}
        with ProcessPoolExecutor(
            jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(args.target, list(sys.path), os.getcwd()),
        ) as pool:
            futures = {pool.submit(_worker_run, name, options): name for name, _ in functions}
            for i, fut in enumerate(as_completed(futures)):
                name = futures[fut]
                progress.update(i, name, finished=True)
                by_name[name] = fut.result()
        reports = [(name, by_name[name]) for name, _ in functions]
    progress.close()
    elapsed = time.perf_counter() - start

    name_w = max(8, min(WIDTH - 1 - 5 * len(props), max(len(n) for n, _ in functions)))
    column = {p: REGISTRY[p].column for p in props}
    header = ("function".ljust(name_w) + "".join(f" {column[p]:<4}" for p in props)).rstrip()
    out.write(style(header, "1") + "\n")
    cell = {"passed": ("ok", "32"), "failed": ("FAIL", "31;1"), "skipped": ("-", "2")}
    for name, report in reports:
        row = _fit(name, name_w).ljust(name_w)
        for p in props:
            text, code = cell[report[p].status]
            row += " " + style(f"{text:<4}", code)
        out.write(row.rstrip() + "\n")
    legend = ", ".join(f"{column[p]}={p}" for p in props if column[p] != p)
    out.write(
        _wrap(f"({legend}{'; ' if legend else ''}ok passed, FAIL failed, - skipped)", " ") + "\n"
    )
    failures = [(n, r) for n, rep in reports for r in rep.failed]
    if failures:
        out.write(
            "\n"
            + style(f"{len(failures)} failure{'s' if len(failures) != 1 else ''}:", "31;1")
            + "\n"
        )
        for name, r in failures:
            out.write(f"\n{name}[{r.prop}]\n  " + r.describe().replace("\n", "\n  ") + "\n")
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
            out.write(_wrap(f"  {name} (every property): {reason}", "    ") + "\n")
        for (prop, reason), names in sorted(skips.items()):
            who = ", ".join(names) if len(names) <= 3 else f"{len(names)} functions"
            out.write(_wrap(f"  {prop}: {reason} ({who})", "    ") + "\n")
    n_pass = sum(len(rep.passed) for _, rep in reports)
    n_skip = sum(len(rep.skipped) for _, rep in reports)
    noun = "function" if len(functions) == 1 else "functions"
    summary = f"{len(functions)} {noun}: {n_pass} passed, {len(failures)} failed, {n_skip} skipped in {elapsed:.1f}s"
    out.write("\n" + style(summary, "31;1" if failures else "32;1") + "\n")
    return 1 if failures else 0


_CASES: dict[str, Any] = {}


def _worker_init(target: str, path: list[str], cwd: str) -> None:
    os.chdir(cwd)
    sys.path[:] = path
    from .testing._generate import discover

    _CASES.update(discover(load_target(target)))


def _worker_run(name: str, options: dict[str, Any]) -> Any:
    from .testing._generate import run_case

    return run_case(_CASES[name], options)


def _wrap(text: str, indent: str) -> str:
    import textwrap

    return "\n".join(
        textwrap.wrap(text, WIDTH - 1, subsequent_indent=indent, break_on_hyphens=False)
    )


def cmd_axes(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._axes import registry
    from ._docmodel import collect_module

    module = collect_module(load_target(args.target), args.target)
    style = Style(out)
    if not module.axes:
        out.write(f"{args.target}: no axes declared or used\n")
        return 0
    rows = []
    for a in module.axes:
        if a["declared"]:
            size = f" size={a['size']}" if a["size"] is not None else ""
            rows.append((a["name"], a["kind"] + size, a["doc"] or "(no description)", a["used_by"]))
    name_w = max(4, max(len(r[0]) for r in rows)) if rows else 4
    kind_w = max(4, max(len(r[1]) for r in rows)) if rows else 4
    out.write(style(f"{'axis'.ljust(name_w)}  {'kind'.ljust(kind_w)}  meaning", "1") + "\n")
    for name, kind, doc, users in rows:
        line = f"{name.ljust(name_w)}  {kind.ljust(kind_w)}  {doc}"
        out.write(_wrap(line, " " * (name_w + kind_w + 4)) + "\n")
        if users:
            out.write(
                _wrap(
                    f"{'':{name_w}}  {'':{kind_w}}  used by: {', '.join(users)}",
                    " " * (name_w + kind_w + 4),
                )
                + "\n"
            )
    undeclared = [a for a in module.axes if not a["declared"]]
    if undeclared:
        reg = registry()
        out.write("\n" + style("used but not declared:", "33;1") + "\n")
        for a in undeclared:
            close = reg.suggest(a["name"])
            hint = f" (did you mean {close!r}?)" if close else ""
            line = f"  {a['name']}{hint}: used by {', '.join(a['used_by'])}"
            out.write(_wrap(line, "    ") + "\n")
    return 0


def cmd_docs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._render import render_module

    text = render_module(load_target(args.target), fmt=args.format, name=args.target)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        err.write(f"wrote {args.output}\n")
    else:
        out.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .__about__ import __version__

    parser = argparse.ArgumentParser(
        prog="shapely-nn",
        description="Check, document and list the semantic axes of JAX/NumPy code annotated with jaxtyping.",
    )
    parser.add_argument("--version", action="version", version=f"shapely-nn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    target_help = "a module or package name (mypkg.model) or a path to a .py file"

    p = sub.add_parser("check", help="run sn.testing.check on every annotated function")
    p.add_argument("target", metavar="TARGET", help=target_help)
    p.add_argument("--seed", type=int, default=0, help="seed for the drawn examples (default 0)")
    p.add_argument(
        "--examples", type=_positive, default=3, help="examples per function (default 3)"
    )
    p.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        help="functions checked in parallel worker processes (default 1; XLA already uses several cores while compiling)",
    )
    from .testing._properties import PROPERTIES

    p.add_argument(
        "--property",
        action="append",
        choices=PROPERTIES,
        metavar="P",
        help=f"only these properties (repeatable): {', '.join(PROPERTIES)}",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("axes", help="list the axes TARGET declares and uses")
    p.add_argument("target", metavar="TARGET", help=target_help)
    p.set_defaults(func=cmd_axes)

    p = sub.add_parser("docs", help="an axis glossary and per-function axis tables")
    p.add_argument("target", metavar="TARGET", help=target_help)
    from ._render import FORMATS

    p.add_argument(
        "--format", choices=list(FORMATS), default="md", help="output format (default md)"
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of standard output"
    )
    p.set_defaults(func=cmd_docs)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = cast(TextIO, out if out is not None else sys.stdout)
    err = cast(TextIO, err if err is not None else sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _warnings_to(err):
            return args.func(args, out, err)
    except TargetError as e:
        err.write(f"shapely-nn: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        err.write("shapely-nn: interrupted\n")
        return 130


@contextlib.contextmanager
def _warnings_to(err: TextIO) -> Iterator[None]:
    """shapely_nn's own warnings (a module skipped for a missing optional
    dependency, a function left unchecked) as one `shapely-nn: warning:` line
    each; other warnings keep Python's format."""
    import warnings

    def show(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
        text = str(message)
        if issubclass(category, AnnotationWarning) or text.startswith("shapely_nn "):
            err.write(f"shapely-nn: warning: {text}\n")
        else:
            err.write(warnings.formatwarning(message, category, filename, lineno))

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def entry() -> None:
    sys.exit(main())
