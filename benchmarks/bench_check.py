"""How fast `sn.testing.check` is, against the floor of compiling and running
the function's forward and backward pass once (issue: the generator within 2x of
one compile). Every figure is measured side by side in one run, in fresh
processes, alternating, with the median over rounds.

    python benchmarks/bench_check.py [--rounds 3] [--quick]

1. Per example function: the floor (`jax.jit(jax.value_and_grad(loss))` compiled
   and run once on inputs drawn from the annotations, `loss` summing the float
   outputs) vs `sn.testing.check(fn)` with no persistent cache. Bar: ratio <= 2
   (aim 1.5).
2. The README's main job, `shapely-nn check shapely_nn.examples`: cold (empty
   persistent cache) and warm (the same command again).
   Beside it, `check` with the ten first properties and none of the boundary,
   shifted and large-sizes examples: the cost of the five checks added by "catch
   more" (bar: all / ten <= 1.25, median over the functions).
3. A generated package of 100 jax functions: per-function time against one of
   10 functions (linear), and `--jobs 2` against `--jobs 1` on this machine.

Prints the table and MET/MISS per bar; exits 1 if a bar is missed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent

CHILD = r"""
import json, sys, time
import jax, jax.numpy as jnp
import shapely_nn as sn
from shapely_nn.testing._generate import discover

TEN = ["shapes", "dtype", "jit", "values", "batch", "set", "causal", "grad", "vmap", "retrace"]
name, mode = sys.argv[1], sys.argv[2]
fn = dict(discover("shapely_nn.examples"))[name]
if mode == "floor":
    args, kwargs = sn.testing.dummy_args(fn, key=0)
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    arrays = [i for i, x in enumerate(leaves) if isinstance(x, jax.Array)]
    floats = [i for i in arrays if jnp.issubdtype(leaves[i].dtype, jnp.floating)]

    def loss(fl, al):
        full = list(leaves)
        for i, a in zip(arrays, al):
            full[i] = a
        for i, f in zip(floats, fl):
            full[i] = f
        a, k = jax.tree_util.tree_unflatten(treedef, full)
        out = fn(*a, **k)
        return sum(jnp.sum(o.astype(jnp.float32)) for o in jax.tree_util.tree_leaves(out)
                   if jnp.issubdtype(o.dtype, jnp.floating))

    start = time.perf_counter()
    if floats:
        g = jax.jit(jax.value_and_grad(loss))
        r = g([leaves[i] for i in floats], [leaves[i] for i in arrays])
    else:
        r = jax.jit(loss)([], [leaves[i] for i in arrays])
    jax.block_until_ready(r)
    elapsed = time.perf_counter() - start
else:
    props = None
    if mode == "ten":
        # the generator without the five checks of "catch more": the ten first
        # properties, and no boundary, shifted or large-sizes examples
        from shapely_nn.testing._runner import Runner

        Runner._more_kinds = lambda self, *a, **k: []
        props = TEN
    start = time.perf_counter()
    report = sn.testing.check(fn, properties=props)
    elapsed = time.perf_counter() - start
    assert report.ok, str(report)
print("RESULT", json.dumps(elapsed))
"""


def _child(name: str, mode: str) -> float:
    env = {**os.environ, "SHAPELY_NN_CACHE_DIR": "off"}
    r = subprocess.run(
        [sys.executable, "-c", CHILD, name, mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{name} {mode} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return json.loads(line[len("RESULT ") :])


def per_function(rounds: int, names: list[str]) -> list[tuple[str, float, float, float, float]]:
    """Per function: the floor, `check` with every property, and `check` with the
    ten first properties and no extra example kinds (the cost of "catch more")."""
    rows = []
    for name in names:
        floor, check, ten = [], [], []
        for _ in range(rounds):
            floor.append(_child(name, "floor"))
            check.append(_child(name, "check"))
            ten.append(_child(name, "ten"))
        f, c, t = statistics.median(floor), statistics.median(check), statistics.median(ten)
        rows.append((name, f, c, c / f, c / t))
        print(
            f"  {name:28s} floor {f:6.2f} s  check {c:6.2f} s  ratio {c / f:4.2f}  "
            f"ten properties {t:6.2f} s  all / ten {c / t:4.2f}",
            flush=True,
        )
    return rows


def _cli(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "shapely_nn", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=1800,
    )
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError(
            f"shapely-nn check {' '.join(args)}: {r.stdout[-2000:]}{r.stderr[-2000:]}"
        )
    return elapsed


def main_job(rounds: int) -> tuple[float, float]:
    cold, warm = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as d:
            env = {**os.environ, "SHAPELY_NN_CACHE_DIR": d}
            cold.append(_cli(["shapely_nn.examples"], env))
            warm.append(_cli(["shapely_nn.examples"], env))
    return statistics.median(cold), statistics.median(warm)


def _package(tmp: Path, name: str, n: int) -> None:
    pkg = tmp / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for m in range(max(1, n // 10)):
        body = ["import jax", "import jax.numpy as jnp", "from jaxtyping import Array, Float", ""]
        for i in range(min(10, n)):
            k = m * 10 + i
            body.append(
                textwrap.dedent(
                    f"""
                    def f{k}(x: Float[Array, "batch feature"], w: Float[Array, "feature hidden"]
                            ) -> Float[Array, "batch hidden"]:
                        return jnp.tanh(x @ w) * {k + 1}
                    """
                )
            )
        (pkg / f"mod{m}.py").write_text("\n".join(body))


def package_scaling() -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    _package(tmp, "bench_pkg_10", 10)
    _package(tmp, "bench_pkg_100", 100)
    env = {**os.environ, "SHAPELY_NN_CACHE_DIR": "off", "PYTHONPATH": str(tmp)}
    t10 = _cli(["bench_pkg_10"], env, tmp)
    t100 = _cli(["bench_pkg_100"], env, tmp)
    t100_j2 = _cli(["bench_pkg_100", "--jobs", "2"], env, tmp)
    return {"t10": t10, "t100": t100, "t100_j2": t100_j2}


def main(argv: list[str]) -> int:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    sys.path.insert(0, str(ROOT))
    from shapely_nn.testing._generate import discover

    names = [n for n, _ in discover("shapely_nn.examples")]
    if "--quick" in argv:
        names = ["mlp.predict", "rnn.rnn", "attention.block", "gnn.gcn_layer"]
    print(f"per function ({rounds} rounds, fresh processes, no persistent cache):")
    rows = per_function(rounds, names)
    print("README main job, cold and warm persistent cache:")
    cold, warm = main_job(max(1, rounds - 1))
    print(f"  cold {cold:.1f} s, warm {warm:.1f} s ({warm / cold:.2f} of cold)")
    print("generated package, 10 and 100 functions:")
    sc = package_scaling()
    per10, per100 = sc["t10"] / 10, sc["t100"] / 100
    print(
        f"  10: {sc['t10']:.1f} s, 100: {sc['t100']:.1f} s ({per100 / per10:.2f}x per function); "
        f"--jobs 2: {sc['t100_j2']:.1f} s"
    )

    bars = []
    worst = max(r[3] for r in rows)
    bars.append(
        ("check / floor, worst example function", f"{worst:.2f}", "<= 2 (aim 1.5)", worst <= 2)
    )
    extra = statistics.median(r[4] for r in rows)
    bars.append(
        (
            "all thirteen properties / the ten first, median over functions",
            f"{extra:.2f} (worst {max(r[4] for r in rows):.2f})",
            "<= 1.25",
            extra <= 1.25,
        )
    )
    bars.append(
        (
            "README main job warm / cold",
            f"{warm / cold:.2f}",
            "a small fraction (<= 0.5)",
            warm / cold <= 0.5,
        )
    )
    bars.append(
        (
            "100 vs 10 functions, time per function",
            f"{per100 / per10:.2f}",
            "linear (<= 1.5)",
            per100 / per10 <= 1.5,
        )
    )
    print()
    print("| function | floor | sn.testing.check | ratio | all / ten properties |")
    print("| --- | --- | --- | --- | --- |")
    for name, f, c, ratio, extra_one in rows:
        print(f"| {name} | {f:.2f} s | {c:.2f} s | {ratio:.2f}x | {extra_one:.2f} |")
    print()
    print("| figure | measured | bar | met |")
    print("| --- | --- | --- | --- |")
    for label, value, bar, ok in bars:
        print(f"| {label} | {value} | {bar} | {'MET' if ok else 'MISS'} |")
    print(
        f"| shapely-nn check shapely_nn.examples | cold {cold:.1f} s, warm {warm:.1f} s | reported | |"
    )
    print(
        f"| 100 functions, --jobs 2 vs 1 | {sc['t100_j2']:.1f} s vs {sc['t100']:.1f} s | reported | |"
    )
    return 0 if all(ok for *_, ok in bars) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
