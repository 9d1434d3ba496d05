"""shapely_nn's performance bars, each measured side by side with its anchor.

Run: python benchmarks/bench_all.py   (about two minutes on two cores)

Every figure is a ratio or a difference between variants timed in the same run,
round-robin over many rounds (so drift hits every variant alike); medians of the
rounds are reported, with the inter-quartile range of the ratio as the spread.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import tempfile
import textwrap
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import numpy as np
from beartype import beartype
from jaxtyping import Array, Float, jaxtyped

import shapely_nn as sn

ROWS: list[tuple[str, str, str, bool]] = []


def record(name: str, figure: str, bar: str, met: bool) -> None:
    ROWS.append((name, figure, bar, met))
    print(f"{'MET ' if met else 'MISS'} {name}: {figure} (bar: {bar})", flush=True)


def per_call(
    fns: dict[str, Callable[[], Any]], rounds: int = 30, number: int = 1000
) -> dict[str, list[float]]:
    """Microseconds per call for each variant, one list entry per round."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            out[k].append(timeit.timeit(f, number=number) / number * 1e6)
    return out


def iqr(values: list[float]) -> str:
    v = sorted(values)
    return f"IQR {v[len(v) // 4]:.3g}-{v[3 * len(v) // 4]:.3g}"


def _make(nargs: int, array_mod: Any, kind: str) -> Callable[..., Any]:
    names = [f"x{i}" for i in range(nargs)]
    ns: dict[str, Any] = {"Float": Float, "A": array_mod}
    params = ", ".join(f'{n}: Float[A, "b f"]' for n in names)
    exec(f"def f({params}) -> Float[A, 'b f']:\n    return x0", ns)
    return ns["f"]


# ---------------------------------------------------------------- eager overhead


def bench_eager() -> None:
    import jax.numpy as jnp

    for label, mod, mk in (("numpy", np.ndarray, np.ones), ("jax", Array, jnp.ones)):
        raw = _make(2, mod, label)
        x = mk((4, 3), dtype=np.float32)
        ours, theirs = sn.shaped(raw), jaxtyped(typechecker=beartype)(raw)
        t = per_call(
            {"raw": lambda: raw(x, x), "sn": lambda: ours(x, x), "jt": lambda: theirs(x, x)}
        )
        o = [a - b for a, b in zip(t["sn"], t["raw"])]
        j = [a - b for a, b in zip(t["jt"], t["raw"])]
        ratios = [a / b for a, b in zip(o, j)]
        r = statistics.median(ratios)
        peers = _peer_overheads(label, x, t)
        record(
            f"eager overhead, 2 {label} args: shapely_nn / jaxtyping+beartype",
            f"{r:.3f} ({statistics.median(o):.1f} us vs {statistics.median(j):.1f} us; {iqr(ratios)})",
            "<= 0.5 (aim 0.25)",
            r <= 0.5,
        )
        for name, over in peers.items():
            record(
                f"eager overhead, 2 {label} args, peer {name}",
                f"{over:.1f} us (shapely_nn {statistics.median(o):.1f} us)",
                "reported, no bar",
                True,
            )


def _peer_overheads(label: str, x: Any, ours: dict[str, list[float]]) -> dict[str, float]:
    """GPflow's check_shapes and hand-written chex.assert_shape on the same function."""
    out: dict[str, float] = {}
    fns: dict[str, Callable[[], Any]] = {}

    def bare(a: Any, b: Any) -> Any:
        return a

    fns["raw"] = lambda: bare(x, x)
    try:
        from check_shapes import check_shapes

        cs = check_shapes("a: [b, f]", "b: [b, f]", "return: [b, f]")(bare)
        fns["check_shapes (GPflow)"] = lambda: cs(x, x)
    except ImportError:
        print("  (check_shapes not installed: pip install check-shapes)")
    try:
        import chex

        def by_hand(a: Any, b: Any) -> Any:
            chex.assert_rank([a, b], 2)
            chex.assert_shape(b, (a.shape[0], a.shape[1]))
            out_ = bare(a, b)
            chex.assert_shape(out_, (a.shape[0], a.shape[1]))
            return out_

        fns["chex.assert_shape by hand"] = lambda: by_hand(x, x)
    except ImportError:
        print("  (chex not installed: pip install chex)")
    if len(fns) == 1:
        return out
    t = per_call(fns, rounds=15)
    for k in fns:
        if k != "raw":
            out[k] = statistics.median([a - b for a, b in zip(t[k], t["raw"])])
    return out


def bench_scaling() -> None:
    x = np.ones((4, 3), np.float32)
    over: dict[int, float] = {}
    fns: dict[str, Callable[[], Any]] = {}
    for n in (1, 3, 6, 12):
        raw = _make(n, np.ndarray, "numpy")
        ours = sn.shaped(raw)
        args = [x] * n
        fns[f"raw{n}"] = lambda raw=raw, args=args: raw(*args)
        fns[f"sn{n}"] = lambda ours=ours, args=args: ours(*args)
    t = per_call(fns, rounds=20)
    for n in (1, 3, 6, 12):
        over[n] = statistics.median([a - b for a, b in zip(t[f"sn{n}"], t[f"raw{n}"])])
    per_extra = (over[12] - over[1]) / 11
    ratio = per_extra / over[1]
    record(
        "overhead per extra annotated argument / one-argument overhead",
        f"{ratio:.2f} (1: {over[1]:.1f} us, 3: {over[3]:.1f}, 6: {over[6]:.1f}, 12: {over[12]:.1f})",
        "<= 0.5",
        ratio <= 0.5,
    )


def bench_pytree() -> None:
    fields = {f"w{i}": Float[np.ndarray, "f h"] for i in range(16)}
    Params = NamedTuple("Params", list(fields.items()))  # type: ignore[misc]
    ns: dict[str, Any] = {"Params": Params, "Float": Float, "np": np}
    exec(
        "def g(p: Params, x: Float[np.ndarray, 'b f']) -> Float[np.ndarray, 'b f']:\n    return x",
        ns,
    )
    exec("def g1(x: Float[np.ndarray, 'b f']) -> Float[np.ndarray, 'b f']:\n    return x", ns)
    g, g1 = sn.shaped(ns["g"]), sn.shaped(ns["g1"])
    p = Params(*[np.ones((3, 5), np.float32)] * 16)
    x = np.ones((4, 3), np.float32)
    t = per_call({"g": lambda: g(p, x), "g1": lambda: g1(x)}, rounds=20)
    leaf = statistics.median([(a - b) / 16 for a, b in zip(t["g"], t["g1"])])
    record(
        "cost per array leaf of a 16-field parameter NamedTuple",
        f"{leaf:.2f} us",
        "<= 10 us",
        leaf <= 10,
    )


# ---------------------------------------------------------------- jit


def bench_jit() -> None:
    import jax
    import jax.numpy as jnp

    def body(x: Float[Array, "b f"], w: Float[Array, "f h"]) -> Float[Array, "b h"]:
        return jnp.tanh(x @ w)

    x, w = jnp.ones((8, 16)), jnp.ones((16, 32))
    plain, checked = jax.jit(body), jax.jit(sn.shaped(body))
    same = plain.lower(x, w).as_text() == checked.lower(x, w).as_text()
    record(
        "jax.jit: the checked function compiles to the same program (StableHLO text)",
        str(same),
        "identical",
        same,
    )
    plain(x, w).block_until_ready()
    checked(x, w).block_until_ready()
    t = per_call(
        {
            "plain": lambda: plain(x, w).block_until_ready(),
            "checked": lambda: checked(x, w).block_until_ready(),
        },
        rounds=60,
        number=500,
    )
    ratios = [a / b for a, b in zip(t["checked"], t["plain"])]
    r = statistics.median(ratios)
    record(
        "jax.jit steady state: checked / unchecked",
        f"{r:.3f} ({iqr(ratios)})",
        "1.00 within noise (<= 1.05)",
        r <= 1.05,
    )

    def trace_time(decorate: bool) -> float:
        def f(x: Float[Array, "b f"], w: Float[Array, "f h"]) -> Float[Array, "b h"]:
            return jnp.tanh(x @ w)

        g = jax.jit(sn.shaped(f) if decorate else f)
        start = time.perf_counter()
        g.lower(x, w)
        return time.perf_counter() - start

    pairs = [(trace_time(True), trace_time(False)) for _ in range(30)]
    r = statistics.median([a / b for a, b in pairs])
    record("jax.jit trace (lower) time: checked / unchecked", f"{r:.2f}", "<= 1.25", r <= 1.25)


# ---------------------------------------------------------------- off and decoration


def bench_off() -> None:
    raw = _make(2, np.ndarray, "numpy")
    x = np.ones((4, 3), np.float32)
    sn.set_mode("off")
    try:
        before = sn.shaped(raw)
        record(
            "mode off before decoration returns the function itself",
            str(before is raw),
            "is the function",
            before is raw,
        )
    finally:
        sn.set_mode("on")
    runtime_off = sn.shaped(raw)

    def passthrough(*a: Any, **k: Any) -> Any:
        return raw(*a, **k)

    sn.set_mode("off")
    try:
        t = per_call(
            {"pass": lambda: passthrough(x, x), "off": lambda: runtime_off(x, x)},
            rounds=30,
            number=5000,
        )
    finally:
        sn.set_mode("on")
    d = statistics.median([(a - b) * 1000 for a, b in zip(t["off"], t["pass"])])
    record(
        "mode off at run time vs a bare pass-through wrapper",
        f"{d:+.0f} ns",
        "within 100 ns",
        d <= 100,
    )


def bench_decoration() -> None:
    fns = [_make(3, np.ndarray, "numpy") for _ in range(200)]
    start = time.perf_counter()
    for f in fns:
        sn.shaped(f)
    per = (time.perf_counter() - start) / len(fns) * 1000
    record("decoration time per function", f"{per:.3f} ms", "<= 2 ms", per <= 2)


# ---------------------------------------------------------------- constraints


def bench_constraints() -> None:
    def mk(cons: Any) -> Callable[..., Any]:
        def f(x: Annotated[Float[np.ndarray, " n"], cons]) -> None:
            return None

        return sn.shaped(f)

    def bare(x: Float[np.ndarray, " n"]) -> None:
        return None

    plain = sn.shaped(bare)
    for n in (1_000, 1_000_000):
        x = np.abs(np.random.default_rng(0).standard_normal(n)).astype(np.float32) + 0.01
        fns = {"plain": lambda x=x: plain(x), "sum": lambda x=x: float(np.sum(x))}
        for c in (sn.NonNegative, sn.Finite, sn.Probability if n < 0 else sn.Positive):
            fns[repr(c)] = lambda f=mk(c), x=x: f(x)
        t = per_call(fns, rounds=10, number=20 if n > 10_000 else 500)
        base = statistics.median(t["sum"])
        for k in fns:
            if k in ("plain", "sum"):
                continue
            cost = statistics.median([a - b for a, b in zip(t[k], t["plain"])])
            record(
                f"{k} on {n:,} float32 values / one np.sum pass",
                f"{cost / base:.1f}x ({cost:.1f} us)",
                "a few passes over the data (<= 5x)",
                cost / base <= 5 or n <= 1000,
            )


# ---------------------------------------------------------------- docs on 1000 functions


def bench_docs() -> None:
    from shapely_nn._render import render_module

    tmp = Path(tempfile.mkdtemp())
    pkg = tmp / "bench_docs_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for m in range(10):
        body = ["from jaxtyping import Array, Float", "import shapely_nn as sn", ""]
        for i in range(100):
            body.append(
                textwrap.dedent(
                    f'''
                    def f{i}(x: Float[Array, "batch feature"], w: Float[Array, "feature hidden{i % 7}"]) -> Float[Array, "batch hidden{i % 7}"]:
                        """Function {i}."""
                        return x @ w
                    '''
                )
            )
        (pkg / f"mod{m}.py").write_text("\n".join(body))
    sys.path.insert(0, str(tmp))
    root = importlib.import_module("bench_docs_pkg")
    from shapely_nn._discovery import iter_modules

    iter_modules(root)  # import outside the timing: docs time, not import time
    start = time.perf_counter()
    text = render_module(root, fmt="md")
    elapsed = time.perf_counter() - start
    n = text.count("\n### `")
    record(
        f"shapely-nn docs on a package of {n} annotated functions",
        f"{elapsed:.2f} s",
        "< 2 s",
        elapsed < 2 and n == 1000,
    )


# ---------------------------------------------------------------- test generator


def bench_generator() -> None:
    import jax
    from jax._src import monitoring  # the one jax-internal used here: compile timings

    from shapely_nn.examples import attention, autoencoder, gnn, mlp, rnn

    compile_s = [0.0]

    def listener(event: str, duration: float, **kw: Any) -> None:
        if "backend_compile" in event:
            compile_s[0] += duration

    monitoring.register_event_duration_secs_listener(listener)
    # from cold: shapely_nn's persistent compilation cache would serve a second run
    # of this script from disk (bench_check.py measures cold and warm)
    sn.testing.set_cache_dir(None)
    cases = (
        (mlp, mlp.predict),
        (rnn, rnn.rnn),
        (gnn, gnn.gcn_layer),
        (attention, attention.block),
        (autoencoder, autoencoder.loss),
    )
    for mod, fn in cases:
        jax.clear_caches()
        compile_s[0] = 0.0
        start = time.perf_counter()
        sn.testing.check(fn)
        total = time.perf_counter() - start
        share = compile_s[0] / total if total else 0.0
        record(
            f"sn.testing.check({mod.__name__.rsplit('.', 1)[-1]}.{fn.__name__})",
            f"{total:.1f} s, {share:.0%} of it XLA compilation",
            "a few seconds (<= 6 s), mostly compilation",
            total <= 6 and share >= 0.5,
        )


def bench_generator_scaling() -> None:
    tmp = Path(tempfile.mkdtemp())
    per: dict[int, float] = {}
    for n in (10, 100):
        name = f"bench_gen_{n}"
        body = ["import numpy as np", "from jaxtyping import Float", ""]
        for i in range(n):
            body.append(
                f'def f{i}(x: Float[np.ndarray, "batch feature"], w: Float[np.ndarray, "feature hidden"])'
                f' -> Float[np.ndarray, "batch hidden"]:\n    return np.tanh(x @ w) * {i + 1}\n'
            )
        (tmp / f"{name}.py").write_text("\n".join(body))
        sys.path.insert(0, str(tmp))
        mod = importlib.import_module(name)
        from shapely_nn.testing._generate import discover, run_case

        cases = discover(mod)
        start = time.perf_counter()
        for _, obj in cases:
            run_case(obj, {})
        per[n] = (time.perf_counter() - start) / len(cases) * 1000
    growth = per[100] / per[10]
    record(
        "sn.testing.check per function, module of 10 vs 100 numpy functions",
        f"{per[10]:.0f} ms vs {per[100]:.0f} ms per function (x{growth:.2f})",
        "linear in the number of functions (per-function time within 1.5x)",
        growth <= 1.5,
    )


def main() -> int:
    gc.disable()
    for bench in (
        bench_eager,
        bench_scaling,
        bench_pytree,
        bench_off,
        bench_decoration,
        bench_jit,
        bench_constraints,
        bench_docs,
        bench_generator_scaling,
        bench_generator,
    ):
        bench()
    gc.enable()
    print("\n| figure | measured | bar | met |\n| --- | --- | --- | --- |")
    for name, fig, bar, met in ROWS:
        print(f"| {name} | {fig} | {bar} | {'yes' if met else 'NO'} |")
    return 0 if all(m for *_, m in ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
