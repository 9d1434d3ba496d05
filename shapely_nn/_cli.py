"""The `shapely-nn` command line: check (in `_cli_check.py`), axes, docs."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO, cast

from ._cli_check import Style, add_check_parser, wrap
from ._discovery import TargetError, load_target
from ._errors import AnnotationWarning

__all__ = ["main"]


def cmd_axes(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._axes import registry
    from ._docmodel import collect_module

    module = collect_module(load_target(args.target), args.target)
    style = Style(out)
    if not module.axes:
        err.write(f"shapely-nn: {args.target} declares no axes and has no jaxtyping annotations\n")
        return 2
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
        out.write(wrap(line, " " * (name_w + kind_w + 4)) + "\n")
        if users:
            out.write(
                wrap(
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
            out.write(wrap(line, "    ") + "\n")
    return 0


def cmd_docs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._render import render_module

    text = render_module(load_target(args.target), fmt=args.format, name=args.target)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            why = "it is a directory" if os.path.isdir(args.output) else (e.strerror or str(e))
            raise TargetError(f"cannot write {args.output}: {why}") from None
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

    add_check_parser(sub, target_help, _positive)
    from ._cli_annotate import add_annotate_parser

    add_annotate_parser(sub, target_help)

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

    from ._cli_parity import add_parity_parser

    add_parity_parser(sub)
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
