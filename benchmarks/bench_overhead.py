"""Eager per-call overhead of @sn.shaped against jaxtyping + beartype, side by side.

Run: python benchmarks/bench_overhead.py

Variants are interleaved (round-robin over many rounds) so drift on a noisy
machine hits all of them alike; each figure is a median over rounds, and the
spread printed is the inter-quartile range of the overhead ratios.
"""

from __future__ import annotations

import statistics
import timeit

import numpy as np
from beartype import beartype
from jaxtyping import Float, jaxtyped

import shapely_nn as sn

OUT = np.ones((4, 5), np.float32)


def raw(x: Float[np.ndarray, "b f"], w: Float[np.ndarray, "f h"]) -> Float[np.ndarray, "b h"]:
    return OUT


def passthrough(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def main(rounds: int = 40, number: int = 2000) -> None:
    x = np.ones((4, 3), np.float32)
    w = np.ones((3, 5), np.float32)
    variants = {
        "undecorated": raw,
        "pass-through wrapper": passthrough(raw),
        "jaxtyping+beartype": jaxtyped(typechecker=beartype)(raw),
        "shapely_nn (on)": sn.shaped(raw),
    }
    off_fn = sn.shaped(raw)
    variants["shapely_nn (off at run time)"] = off_fn
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            if name == "shapely_nn (off at run time)":
                sn.set_mode("off")
            t = timeit.timeit(lambda fn=fn: fn(x, w), number=number) / number
            sn.set_mode("on")
            times[name].append(t * 1e6)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["undecorated"]
    print(f"{'variant':32s} {'median us/call':>15s} {'overhead us':>12s}")
    for k, v in med.items():
        print(f"{k:32s} {v:15.2f} {v - base:12.2f}")
    ours = [s - u for s, u in zip(times["shapely_nn (on)"], times["undecorated"])]
    theirs = [j - u for j, u in zip(times["jaxtyping+beartype"], times["undecorated"])]
    ratios = sorted(o / t for o, t in zip(ours, theirs))
    q1, q3 = ratios[len(ratios) // 4], ratios[3 * len(ratios) // 4]
    ratio = statistics.median(ratios)
    print(
        f"\noverhead ratio shapely_nn / jaxtyping: {ratio:.3f} (IQR {q1:.3f}-{q3:.3f}); "
        f"bar <= 0.5, aim 0.25: {'MET' if ratio <= 0.5 else 'MISSED'}"
    )
    off = med["shapely_nn (off at run time)"] - med["pass-through wrapper"]
    print(
        f"off at run time vs pass-through wrapper: {off * 1000:+.0f} ns; "
        f"bar within 100 ns: {'MET' if off <= 0.1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
