"""`shapely-nn parity REFERENCE IMPL`: `sn.testing.parity` from the command line,
printing the report; exit status 1 when the two differ."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ._cli_check import Style
from ._discovery import TargetError

__all__ = ["add_parity_parser"]


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _size(text: str) -> tuple[str, int]:
    name, value = _pair(text)
    try:
        size = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected AXIS=SIZE with an int size, got {text!r}"
        ) from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    return name, size


def add_parity_parser(sub: Any) -> None:
    p = sub.add_parser(
        "parity",
        help="compare a re-implementation with the model it re-implements (PyTorch)",
        description="Load the reference model's weights into the re-implementation, run both "
        "on the same inputs drawn from its annotations, and report how far each output is, "
        "where, and the first intermediate value that diverges. Exit status 1 when they differ.",
    )
    p.add_argument(
        "reference",
        metavar="REFERENCE",
        help="import path of a function returning the reference (a torch.nn.Module, or a "
        "function of NumPy arrays): mypkg.torch_model:make_model",
    )
    p.add_argument(
        "impl",
        metavar="IMPL",
        help="import path of the annotated re-implementation: mypkg.model:forward",
    )
    p.add_argument(
        "--map",
        action="append",
        type=_pair,
        default=[],
        metavar="FIELD=KEY",
        help="the state-dict key a parameter field takes (ln1.gain=norm1.weight); repeatable",
    )
    p.add_argument(
        "--sizes",
        action="append",
        type=_size,
        default=[],
        metavar="AXIS=SIZE",
        help="an axis's size (batch=4); repeatable",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the drawn inputs (default 0)")
    p.add_argument("--rtol", type=float, default=None, help="relative tolerance (default by dtype)")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance (default by dtype)")
    p.add_argument("--grads", action="store_true", help="compare gradients too")
    p.set_defaults(func=cmd_parity)


def cmd_parity(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .testing import ParityError, parity
    from .testing._settings import ConfigError, import_path

    for what, text in (("REFERENCE", args.reference), ("IMPL", args.impl)):
        if ":" not in text and "." not in text:
            raise TargetError(
                f"{what} {text!r} is not an import path: write module:name (mypkg.model:forward)"
            )
    try:
        make = import_path(args.reference, "REFERENCE")
        impl = import_path(args.impl, "IMPL")
    except ConfigError as e:
        raise TargetError(str(e)) from None
    except ValueError as e:  # an empty module name (':name')
        raise TargetError(f"not an import path ({e}): write module:name") from None
    if not callable(make):
        raise TargetError(
            f"REFERENCE {args.reference!r} is not callable: name a function returning the model"
        )
    try:
        reference = make()
    except ImportError as e:
        raise TargetError(
            f"{args.reference}() failed: {e} (is PyTorch installed? pip install 'shapely_nn[torch]')"
        ) from None
    try:
        report = parity(
            reference,
            impl,
            weight_map=dict(args.map) or None,
            sizes=dict(args.sizes) or None,
            seed=args.seed,
            rtol=args.rtol,
            atol=args.atol,
            grads=args.grads,
        )
    except ParityError as e:
        raise TargetError(str(e)) from None
    style = Style(out)
    text = str(report)
    first, _, rest = text.partition("\n")
    out.write(style(first, "32;1" if report.ok else "31;1") + "\n" + rest + "\n")
    return 0 if report.ok else 1
