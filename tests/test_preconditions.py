"""Telling the generator what annotations cannot: size relations, fixed values
and ranges, left-out optional arguments, factories for objects, configuration
files; and functions that refuse drawn inputs through their own checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn
from shapely_nn.testing._preconditions import _FACTORIES
from shapely_nn.testing._settings import ConfigError, Settings


def grouped_attention(
    q: Float[Array, "q_heads d"], k: Float[Array, "kv_heads d"]
) -> Float[Array, "q_heads d"]:
    """Grouped-query attention's head sharing: q_heads must be a multiple of kv_heads."""
    if q.shape[0] % k.shape[0]:
        raise ValueError(f"q_heads ({q.shape[0]}) must be divisible by kv_heads ({k.shape[0]})")
    return q + jnp.repeat(k, q.shape[0] // k.shape[0], axis=0)


# ---------------------------------------------------------------- rejected


def test_a_function_that_refuses_the_draw_is_retried_with_related_sizes():
    report = sn.testing.check(grouped_attention)
    assert report.ok and report["shapes"].status == "passed", str(report)
    assert report.notes and "q_heads=2*kv_heads" in report.notes[0]
    assert "must be divisible by kv_heads" in report.notes[0]


def test_a_refusal_nothing_resolves_is_rejected_not_failed():
    def needs_sorted(t: Float[Array, " knot"]) -> Float[Array, " knot"]:
        if not bool(jnp.all(jnp.diff(t) > 0)):
            raise ValueError("knots must be strictly increasing")
        return t

    report = sn.testing.check(needs_sorted, properties=["shapes", "jit"], sizes={"knot": 6})
    assert report.ok  # no failure: the function stated a precondition
    assert {r.status for r in report.results} == {"rejected"}
    reason = report["shapes"].reason
    assert "ValueError: knots must be strictly increasing" in reason
    assert "state it" in reason and "fixed=" in reason and "sizes=" in reason
    assert "rejected (" in str(report)


def test_an_error_inside_jax_on_conforming_inputs_stays_a_failure():
    def wrong(x: Float[Array, "n m"], w: Float[Array, "n k"]) -> Float[Array, "m k"]:
        return x @ w  # contracts m with n: jax raises, the annotations are honoured

    report = sn.testing.check(wrong, properties=["shapes"])
    assert report["shapes"].status == "failed"
    assert "TypeError" in report["shapes"].reason


def test_an_assert_is_a_refusal_too():
    def square_only(a: Float[Array, "n m"]) -> Float[Array, "n m"]:
        assert a.shape[0] == a.shape[1], "n must equal m"
        return a

    report = sn.testing.check(square_only, properties=["shapes"])
    assert report["shapes"].status == "passed", str(report)  # retried with n = m
    assert "m=n" in report.notes[0]


# ---------------------------------------------------------------- stated in code


def test_size_relations_in_check_and_on_the_decorator():
    report = sn.testing.check(grouped_attention, sizes={"q_heads": "3*kv_heads"})
    assert report.ok and not report.notes, str(report)

    @sn.shaped(test_sizes={"q_heads": "kv_heads"})
    def same_heads(
        q: Float[Array, "q_heads d"], k: Float[Array, "kv_heads d"]
    ) -> Float[Array, "q_heads d"]:
        return grouped_attention(q, k)

    report = sn.testing.check(same_heads, properties=["shapes"])
    assert report.ok and not report.notes, str(report)
    args, _ = sn.testing.dummy_args(same_heads, {"kv_heads": 5, "q_heads": "kv_heads"})
    assert args[0].shape[0] == args[1].shape[0] == 5


def test_bad_size_relations_are_clear_errors():
    with pytest.raises(ValueError, match="may only use axis names, integers"):
        sn.testing.check(grouped_attention, sizes={"q_heads": "kv_heads.bit_length()"})
    with pytest.raises(TypeError, match=r"sizes\['q_heads'\] must be an int, a list of ints"):
        sn.testing.check(grouped_attention, sizes={"q_heads": 2.5})
    report = sn.testing.check(grouped_attention, sizes={"q_heads": "2*heads"})
    assert "uses 'heads', which is no axis of this function" in report["shapes"].reason
    with pytest.raises(TypeError, match="test_sizes must be a dict"):
        sn.shaped(test_sizes=[1])


def test_fixed_values_ranges_and_defaults():
    seen: dict[str, list] = {"eps": [], "mask": []}

    def norm(
        x: Float[Array, " n"], eps: float, mask: Float[Array, " n"] | None = None
    ) -> Float[Array, " n"]:
        seen["eps"].append(eps)
        seen["mask"].append(mask)
        if eps <= 0:
            raise ValueError("eps must be positive")
        return x / (jnp.abs(x).max() + eps)

    without = sn.testing.check(norm, properties=["shapes"])
    assert without["shapes"].status == "skipped"
    assert "cannot draw argument 'eps' of type float" in without["shapes"].reason
    report = sn.testing.check(
        norm,
        properties=["shapes"],
        fixed={"eps": sn.testing.between(1e-3, 1e-1), "mask": sn.testing.DEFAULT},
    )
    assert report["shapes"].status == "passed", str(report)
    assert all(1e-3 <= e <= 1e-1 for e in seen["eps"]) and len(set(seen["eps"])) > 1
    assert all(m is None for m in seen["mask"])
    with pytest.raises(ValueError, match="low is above high"):
        sn.testing.between(2, 1)


# ---------------------------------------------------------------- objects


class Kernel:
    def __call__(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        raise NotImplementedError


class RBF(Kernel):
    def __init__(self, lengthscale: float):
        self.lengthscale = lengthscale

    def __call__(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.exp(-(x**2) / self.lengthscale)


def smooth(kernel: Kernel, x: Float[Array, " n"]) -> Float[Array, " n"]:
    return kernel(x)


def test_registered_factories_make_objects():
    assert sn.testing.check(smooth, properties=["shapes"])["shapes"].status == "skipped"
    sn.testing.register(RBF, lambda: RBF(2.0))
    try:
        report = sn.testing.check(smooth, properties=["shapes", "jit", "grad"])
        assert report.ok and report["shapes"].status == "passed", str(report)
    finally:
        _FACTORIES.pop(RBF)
    with pytest.raises(TypeError, match="expected a class"):
        sn.testing.register("RBF", lambda: None)


@dataclass
class Config:
    width: int
    scale: float = 1.0


@dataclass
class Model:
    config: Config
    w: Float[Array, "d d"]


def apply(model: Model, x: Float[Array, "b d"]) -> Float[Array, "b d"]:
    return model.config.scale * x @ model.w


def test_objects_are_built_from_their_constructors():
    report = sn.testing.check(apply, properties=["shapes"], fixed={})
    # Model needs a Config needs an int: built recursively, `width` is no axis, so
    # it cannot be drawn and the reason says so
    assert report["shapes"].status == "skipped"
    assert "Config" in report["shapes"].reason and "width" in report["shapes"].reason

    def apply_config(config: Config, x: Float[Array, " d"]) -> Float[Array, " d"]:
        return config.scale * x

    sn.testing.register(Config, lambda sizes: Config(width=sizes.get("d", 3)))
    try:
        assert sn.testing.check(apply_config, properties=["shapes"]).ok
        report = sn.testing.check(apply, properties=["shapes"])
        assert report["shapes"].status == "passed", str(report)
    finally:
        _FACTORIES.pop(Config)


def test_callables_get_a_shape_preserving_stand_in():
    def integrate(
        f: Callable[[Float[Array, " n"]], Float[Array, " n"]], x: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        return f(x) * 0.5

    assert sn.testing.check(integrate, properties=["shapes"]).ok

    def reduce(f: Callable[[Float[Array, " n"]], float], x: Float[Array, " n"]) -> float:
        return f(x)

    report = sn.testing.check(reduce, properties=["shapes"])
    assert report["shapes"].status == "skipped"
    assert "only Callable[[X, ...], X] gets a stand-in" in report["shapes"].reason


# ---------------------------------------------------------------- kinds and skip


def test_kinds_and_skip_options():
    def mean_over(x: Float[Array, "n d"]) -> Float[Array, " d"]:
        return x.mean(axis=0)

    report = sn.testing.check(mean_over, kinds={"n": "set"}, skip=["grad"])
    assert report["set"].status == "passed", str(report)
    assert report["grad"].status == "skipped" and "skip=" in report["grad"].reason
    with pytest.raises(ValueError, match="unknown axis kind 'bach'"):
        sn.testing.check(mean_over, kinds={"n": "bach"})


# ---------------------------------------------------------------- configuration

CONFIG = """
[tool.shapely_nn]
fixed = { eps = 0.01 }

[tool.shapely_nn.axes]
n = { kind = "batch", doc = "rows" }

[tool.shapely_nn.functions."cfgpkg.attend"]
sizes = { q_heads = "2*kv_heads" }

[tool.shapely_nn.functions."*.scale"]
fixed = { factor = { between = [1, 3] } }
skip = ["grad"]
"""

CFGPKG = """
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float


def attend(q: Float[Array, "q_heads d"], k: Float[Array, "kv_heads d"]) -> Float[Array, "q_heads d"]:
    if q.shape[0] % k.shape[0]:
        raise ValueError("q_heads must be a multiple of kv_heads")
    return q + jnp.repeat(k, q.shape[0] // k.shape[0], axis=0)


def scale(x: Float[Array, "n d"], factor: int, eps: float) -> Float[Array, "n d"]:
    return factor * x + eps
"""


def test_a_configuration_file_states_preconditions(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    settings = Settings.find(tmp_path)
    assert settings is not None
    opts = settings.options_for("cfgpkg.scale", "scale", {"x", "factor", "eps"})
    assert opts["fixed"]["eps"] == 0.01 and opts["skip"] == ["grad"]
    assert opts["kinds"] == {"n": "batch"}
    assert "eps" not in settings.options_for("cfgpkg.attend", "attend", {"q", "k"}).get("fixed", {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.shapely_nn]\nsize = {}\n", "unknown key 'size'"),
        ("[tool.shapely_nn.axes]\nn = { kind = 'bach' }\n", "Did you mean 'batch'"),
        ("[tool.shapely_nn]\nsizes = { n = 2.5 }\n", "must be an int"),
        ("[tool.shapely_nn.functions.f]\nfixed = { a = { betwen = [1, 2] } }\n", "between"),
        ("[tool.shapely_nn]\nskip = ['grd']\n", "skip must list properties"),
        ("[tool.shapely_nn\n", "not valid TOML"),
    ],
)
def test_configuration_errors_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "shapely.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        Settings.load(path)
    assert str(path) in str(info.value)


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "shapely_nn", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.slow
def test_the_cli_reads_the_configuration_and_options(tmp_path):
    (tmp_path / "cfgpkg.py").write_text(textwrap.dedent(CFGPKG))
    r = _cli("cfgpkg", "--property", "shapes", "--property", "batch", cwd=tmp_path)
    assert "rej" not in r.stdout and r.returncode == 0, r.stdout + r.stderr
    # without configuration, attend is retried and scale cannot be drawn
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    r = _cli("cfgpkg", "--property", "shapes", "--property", "batch", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "configuration from" in r.stderr
    assert "scale    ok   ok" in r.stdout  # eps and factor fixed, n declared batch
    r = _cli(
        "cfgpkg",
        "--sizes",
        "q_heads=kv_heads",
        "--fixed",
        "eps=0.5",
        "--property",
        "shapes",
        cwd=tmp_path,
    )
    assert "attend   ok" in r.stdout and r.returncode == 0, r.stdout + r.stderr
    r = _cli("cfgpkg", "--config", str(tmp_path / "missing.toml"), cwd=tmp_path)
    assert r.returncode == 2 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_an_error_from_an_operation_in_the_functions_own_code_is_a_failure():
    def pick(x: Float[Array, " n"]) -> Float[Array, ""]:
        rows = [0, 1, 2]
        return x[rows[5]]  # an IndexError raised by an operation, not a check

    report = sn.testing.check(pick, properties=["shapes"])
    assert report["shapes"].status == "failed" and "IndexError" in report["shapes"].reason

    def reraise(x: Float[Array, " n"]) -> Float[Array, " n"]:
        try:
            return x @ jnp.ones((2, 2))
        except TypeError:
            raise  # jax's own error, passed on: still a failure

    assert sn.testing.check(reraise, properties=["shapes"])["shapes"].status == "failed"


def test_equinox_error_if_is_a_refusal_with_its_message():
    import equinox as eqx

    def increasing(t: Float[Array, " knot"]) -> Float[Array, " knot"]:
        return eqx.error_if(t, jnp.any(jnp.diff(t) <= 0), "ts must be increasing")

    report = sn.testing.check(increasing, properties=["shapes", "jit"], sizes={"knot": 5})
    assert report.ok and report["shapes"].status == "rejected", str(report)
    assert "equinox.error_if: ts must be increasing" in report["shapes"].reason


class Scaler:
    def __init__(self, factor: float):
        self.factor = factor

    def __call__(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        if self.factor <= 0:
            raise ValueError("factor must be positive")
        return self.factor * x


def test_a_factory_gives_the_instance_a_method_runs_on():
    from shapely_nn.testing._generate import run_case
    from shapely_nn.testing._instances import MethodCase

    case = MethodCase(Scaler, "__call__")
    before = run_case(case, {"examples": 1, "properties": ["shapes"]})
    assert before["shapes"].status == "skipped"  # no float to draw for the constructor
    sn.testing.register(Scaler, lambda: Scaler(2.0))
    try:
        after = run_case(case, {"examples": 2, "properties": ["shapes", "jit"]})
        assert after.ok and after["shapes"].status == "passed", str(after)
    finally:
        _FACTORIES.pop(Scaler)


def _valid_conv(
    x: Float[np.ndarray, "b t c"], kernel: Float[np.ndarray, "width c d"]
) -> Float[np.ndarray, "b t-width+1 d"]:
    width, t = kernel.shape[0], x.shape[1]
    windows = np.stack([x[:, i : t - width + 1 + i] for i in range(width)], axis=2)
    return np.einsum("btwc,wcd->btd", windows, kernel)


def _valid_conv_one_short(
    x: Float[np.ndarray, "b t c"], kernel: Float[np.ndarray, "width c d"]
) -> Float[np.ndarray, "b t-width+1 d"]:
    return _valid_conv(x, kernel)[:, :-1]  # off by one


def test_symbolic_dimensions_are_drawn_at_least_one():
    """'t-width+1' says the function needs width <= t: drawn sizes honour it
    (every example kind), so a correct valid convolution is no false alarm, and
    an off-by-one is still caught."""
    report = sn.testing.check(_valid_conv)
    assert report.ok, report
    assert not sn.testing.check(_valid_conv_one_short).ok


@dataclass
class _Taps:
    kernel: Float[np.ndarray, "width c"]


def _needs_width(
    p: _Taps, x: Float[np.ndarray, "t c"], targets: Float[np.ndarray, " t-width+1"]
) -> Float[np.ndarray, " t"]:
    return x.sum(-1) + targets.sum()


def test_a_symbol_bound_only_by_a_dataclass_field_is_drawn_not_refused():
    """In code not written for shapely_nn a dataclass argument's fields are
    checked among themselves (jaxtyping's reading): they bind no axis of the
    call, so 'width' is a free symbol the generator draws, not an error at every
    call (a false alarm on annotations `shapely-nn annotate` writes)."""
    report = sn.testing.check(_needs_width, properties=["shapes"])
    assert report.ok, report
