"""sn.testing: correct models pass every property, seeded bugs are caught by the
property meant for them, and the public helpers behave."""

from __future__ import annotations

import abc
import itertools
import typing
from collections.abc import Callable
from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.typing import ArrayLike
from jaxtyping import Array, Float, Int, Key

import shapely_nn as sn
from tests.zoo import models as zoo


@pytest.mark.parametrize("model", zoo.CORRECT, ids=lambda f: f.__name__)
def test_correct_models_pass_every_property(model):
    report = sn.testing.check(model, seed=0)
    assert report.ok, str(report)
    assert {r.prop for r in report.passed} >= {"shapes", "dtype", "jit", "grad", "vmap", "retrace"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("model", zoo.CORRECT, ids=lambda f: f.__name__)
def test_correct_models_pass_over_many_seeds(model, seed):
    report = sn.testing.check(model, seed=seed)
    assert report.ok, str(report)


@pytest.mark.parametrize(
    ("model", "prop"), list(zoo.BUGGY.items()), ids=lambda v: getattr(v, "__name__", v)
)
def test_seeded_bugs_are_caught_by_their_property(model, prop):
    report = sn.testing.check(model, seed=0)
    assert report[prop].status == "failed", str(report)
    assert report[prop].sizes and report[prop].seed == 0


def test_failure_report_says_what_differed_and_how_to_reproduce():
    report = sn.testing.check(zoo.layer_norm_over_batch, properties=["batch"])
    r = report["batch"]
    assert r.status == "failed"
    assert r.example == 0 and r.seed == 0
    assert "batch=" in r.sizes and "feature=" in r.sizes
    assert "changed when only example" in r.reason and "max |diff|" in r.reason
    text = str(report)
    assert text.startswith("layer_norm_over_batch: 0 passed, 1 failed, 0 skipped")
    assert "batch: FAILED (example 0, seed 0, sizes " in text


def test_causal_report_names_the_step():
    r = sn.testing.check(zoo.attention_unmasked, properties=["causal"])["causal"]
    assert "time step" in r.reason and "steps >" in r.reason


def test_skips_carry_reasons():
    report = sn.testing.check(zoo.mean_pool)
    assert report["set"].status == "skipped"
    assert report["set"].reason == "no axis of kind 'set'"
    assert report["values"].reason == "no value constraints on the return annotation"


def test_plain_jaxtyping_functions_and_kind_overrides():
    def batch_mean(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
        return x - x.mean(0)

    assert sn.testing.check(batch_mean, properties=["batch"])["batch"].status == "failed"

    @sn.shaped(kinds={"batch": "plain"})
    def batch_norm(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
        return x - x.mean(0)

    assert (
        sn.testing.check(batch_norm, properties=["batch"])["batch"].reason
        == "no axis of kind 'batch'"
    )


def test_dtype_property_catches_silent_downcast():
    @sn.shaped
    def half(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
        return (x * 2).astype(jnp.float16)

    r = sn.testing.check(half, properties=["dtype"])["dtype"]
    assert r.status == "failed"
    assert "return is float16, but every float input is float32" in r.reason


def test_sizes_are_distinct_and_honour_declarations():
    sn.axis("tt_rgb", "colour", size=3)
    sn.axis("tt_len", "length", test_sizes=[4, 6])
    seen = []

    def f(
        x: Float[Array, "batch tt_rgb tt_len"], y: Float[Array, "feature 2"]
    ) -> Float[Array, " batch"]:
        seen.append((x.shape, y.shape))
        return x.sum((1, 2))

    sn.testing.check(f, properties=["shapes"], sizes={"feature": 9})
    shapes = [s for s in seen if not isinstance(s[0][0], jax.core.Tracer)]
    (x0, y0) = shapes[0]
    assert x0[1] == 3 and y0 == (9, 2)
    assert x0[2] == 4
    assert len(set(x0)) == 3  # distinct sizes per axis


def test_variadic_ranks_and_size_one_example():
    ranks = []
    ones = []

    @sn.shaped
    def f(x: Float[Array, "*lead batch"]) -> Float[Array, "*lead batch"]:
        ranks.append(x.ndim - 1)
        ones.append(x.shape[-1] == 1)
        return x

    report = sn.testing.check(f, properties=["shapes"])
    assert report.ok
    assert {0, 1, 2} <= set(ranks)
    assert any(ones)


def test_index_into_and_simplex_inputs_are_drawn_valid():
    @sn.shaped
    def pick(
        table: Float[np.ndarray, "vocab d"],
        ids: Annotated[Int[np.ndarray, " n"], sn.IndexInto("vocab")],
        probs: Annotated[Float[np.ndarray, "n vocab"], sn.Simplex("vocab")],
    ) -> Float[np.ndarray, "n d"]:
        return table[ids] * probs.sum(-1, keepdims=True)

    # numpy functions run eagerly on every example, so the argument constraints
    # are checked on every drawn value
    report = sn.testing.check(pick, properties=["shapes"], examples=5)
    assert report.ok, str(report)


def test_unstable_code_is_exposed_by_the_large_values_example():
    @sn.shaped
    def logsumexp(x: Float[Array, "batch feature"]) -> Annotated[Float[Array, " batch"], sn.Finite]:
        return jnp.log(jnp.sum(jnp.exp(x), axis=-1))

    r = sn.testing.check(logsumexp, properties=["values"])["values"]
    assert r.status == "failed" and "inputs x1000" in r.sizes


def test_non_array_arguments_defaults_fixed_and_axis_named_ints():
    @sn.shaped
    def repeat(
        x: Float[Array, " feature"], num: int, scale: float = 2.0
    ) -> Float[Array, "num feature"]:
        return jnp.tile(x, (num, 1)) * scale

    assert sn.testing.check(repeat, properties=["shapes"]).ok  # num drawn as the axis size

    def needs_k(x: Float[Array, " n"], k: str) -> Float[Array, " n"]:
        return x

    r = sn.testing.check(needs_k)
    assert all(x.status == "skipped" for x in r.results)
    assert "cannot draw argument 'k' of type str" in r.results[0].reason
    assert sn.testing.check(needs_k, fixed={"k": "a"}, properties=["shapes"]).ok


def test_prng_key_arguments():
    @sn.shaped
    def noisy(key: Key[Array, ""], x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x + jax.random.normal(key, x.shape)

    assert sn.testing.check(noisy, properties=["shapes", "jit", "vmap"]).ok


def test_numpy_functions_skip_jax_properties_with_reasons():
    @sn.shaped
    def center(x: Float[np.ndarray, "batch feature"]) -> Float[np.ndarray, "batch feature"]:
        return x - x.mean(1, keepdims=True)

    report = sn.testing.check(center)
    assert report.ok
    assert report["jit"].reason == "takes numpy arrays; jax.jit traces jax arrays"
    assert report["batch"].status == "passed"


def test_functions_without_annotations_are_skipped():
    def plain(a, b):
        return a + b

    report = sn.testing.check(plain)
    assert all(
        r.status == "skipped" and r.reason == "no jaxtyping array annotations"
        for r in report.results
    )


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="unknown property 'shape'; valid: shapes, dtype"):
        sn.testing.check(zoo.mean_pool, properties=["shape"])
    with pytest.raises(ValueError, match="examples must be a positive int"):
        sn.testing.check(zoo.mean_pool, examples=0)
    with pytest.raises(TypeError, match="sizes must be a dict"):
        sn.testing.check(zoo.mean_pool, sizes=[1])
    with pytest.raises(ValueError, match="not parameters of mean_pool"):
        sn.testing.check(zoo.mean_pool, fixed={"y": 1})


def test_reproducible_from_the_seed():
    a = sn.testing.check(zoo.layer_norm_over_batch, seed=3, properties=["batch"])
    b = sn.testing.check(zoo.layer_norm_over_batch, seed=3, properties=["batch"])
    assert a.results == b.results


def test_assert_checks_raises_with_the_report():
    with pytest.raises(AssertionError, match="causal: FAILED"):
        sn.testing.assert_checks(zoo.rnn_reversed, properties=["causal"])
    assert sn.testing.assert_checks(zoo.rnn, properties=["causal"]).ok


# ------------------------------------------------------------------ init / dummy_args


def test_init_builds_nested_params_with_fan_in_scaling():
    class Block(NamedTuple):
        rnn: zoo.RNN
        out: zoo.Linear

    p = sn.testing.init(Block, {"feature": 40, "hidden": 30, "klass": 3}, jax.random.key(0))
    assert p.rnn.w_in.shape == (40, 30) and p.out.b.shape == (3,)
    assert 0.5 < float(jnp.std(p.rnn.w_in)) * np.sqrt(40) < 1.5
    q = sn.testing.init(Block, {"feature": 40, "hidden": 30, "klass": 3}, jax.random.key(0))
    assert jnp.array_equal(p.rnn.w_in, q.rnn.w_in)
    with pytest.raises(ValueError, match="no size for axis 'klass'"):
        sn.testing.init(zoo.Linear, {"feature": 3}, 0)
    with pytest.raises(TypeError, match="not a NamedTuple, dataclass or equinox module"):
        sn.testing.init(int, {}, 0)


def test_dummy_args_share_sizes():
    args, kwargs = sn.testing.dummy_args(zoo.rnn, {"batch": 2, "time": 5}, jax.random.key(1))
    p, xs = args
    assert xs.shape[:2] == (2, 5) and xs.shape[2] == p.w_in.shape[0]
    assert zoo.rnn(*args, **kwargs).shape == (2, 5, p.w_in.shape[1])


# ------------------------------------------------------------------ assert_loss_decreases


class Reg(NamedTuple):
    w: Float[Array, "feature klass"]
    b: Float[Array, " klass"]


def _data():
    k1, k2 = jax.random.split(jax.random.key(0))
    x = jax.random.normal(k1, (16, 4))
    y = jax.random.randint(k2, (16,), 0, 3)
    return x, y


def test_loss_decreases_on_a_trainable_model():
    def loss(p: Reg, x, y):
        logits = x @ p.w + p.b
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])

    p = sn.testing.init(Reg, {"feature": 4, "klass": 3}, 0)
    losses = sn.testing.assert_loss_decreases(loss, p, *_data(), steps=20)
    assert len(losses) == 21 and losses[-1] < losses[0]


def test_loss_that_cannot_decrease_shows_the_curve():
    def stuck(p: Reg, x, y):
        return jnp.sum(jax.lax.stop_gradient(p.w)) + 1.0

    p = sn.testing.init(Reg, {"feature": 4, "klass": 3}, 0)
    with pytest.raises(AssertionError) as e:
        sn.testing.assert_loss_decreases(stuck, p, *_data(), steps=5)
    msg = str(e.value)
    assert "did not decrease by 1% in 5 steps" in msg
    assert "curve" in msg and "step   0  loss" in msg


def test_loss_that_diverges_is_reported():
    def exploding(p: Reg, x, y):
        return -jnp.exp(jnp.sum(p.w) * 50.0)

    p = sn.testing.init(Reg, {"feature": 4, "klass": 3}, 0)
    with pytest.raises(AssertionError, match="non-finite at step"):
        sn.testing.assert_loss_decreases(exploding, p, *_data(), steps=30, learning_rate=1.0)


# ------------------------------------------------------------------ generate_tests


def test_generate_tests_under_pytest(pytester):
    pytester.makepyfile(
        mymodel="""
        from typing import Annotated
        import jax, jax.numpy as jnp
        from jaxtyping import Array, Float
        import shapely_nn as sn

        sn.axis("batch", "independent examples in a minibatch", kind="batch")
        sn.axis("feature", "input features per step")

        def good(x: Float[Array, "batch feature"]) -> Annotated[Float[Array, "batch feature"], sn.NonNegative]:
            return jax.nn.relu(x)

        def leaky(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
            return x - x.mean(0)

        def helper(a, b):
            return a + b
        """,
        test_gen="""
        import mymodel
        import shapely_nn as sn

        test_mymodel = sn.testing.generate_tests(mymodel, seed=0)
        """,
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-k", "batch or values")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*test_mymodel*leaky*batch*", "*changed when only example*"])
    ids = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    collected = ids.stdout.str()
    assert "test_gen.py::test_mymodel[good[shapes]]" in collected
    assert "test_gen.py::test_mymodel[leaky[causal]]" in collected
    assert "helper" not in ids.stdout.str()


def test_generate_tests_refuses_a_module_without_annotations():
    import types

    empty = types.ModuleType("empty_mod")
    with pytest.raises(ValueError, match="has no functions with jaxtyping annotations"):
        sn.testing.generate_tests(empty)


class _Scaler:
    """A plain class (no dataclass): built through its constructor."""

    def __init__(self, weights: Float[Array, " feature"], offset: float = 0.5) -> None:
        self.weights = weights
        self.offset = offset

    @sn.shaped
    def __call__(self, x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
        return x * self.weights + self.offset


class _NeedsConfig:
    def __init__(self, config) -> None:
        self.config = config

    @sn.shaped
    def __call__(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x


class _Abstract(abc.ABC):
    @abc.abstractmethod
    @sn.shaped
    def go(self, x: Float[Array, " n"]) -> None: ...

    @sn.shaped
    def run(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x


class _Concrete(_Abstract):
    def go(self, x: Float[Array, " n"]) -> None:
        return None


class _Orphan(abc.ABC):
    @abc.abstractmethod
    def go(self) -> None: ...

    @sn.shaped
    def run(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x


def test_methods_of_plain_classes_are_run_on_an_instance_built_from_the_constructor():
    from shapely_nn.testing._generate import run_case
    from shapely_nn.testing._instances import MethodCase

    report = run_case(MethodCase(_Scaler, "__call__"), {"examples": 2})
    assert report.ok, str(report)
    assert report["shapes"].status == "passed" and report["vmap"].status == "passed"
    # a method an abstract class implements runs on a concrete subclass inheriting it
    inherited = run_case(MethodCase(_Abstract, "run"), {"examples": 1})
    assert inherited["shapes"].status == "passed", str(inherited)
    skipped = run_case(MethodCase(_Abstract, "go"), {"examples": 1})
    assert skipped.results[0].status == "skipped"
    assert skipped.results[0].reason == (
        "cannot build an instance of _Abstract to call it on: _Abstract is abstract (go) "
        "and go is one of its abstract methods; check it on one you build: "
        "sn.testing.check(instance.go)"
    )
    orphan = run_case(MethodCase(_Orphan, "run"), {"examples": 1})
    assert orphan.results[0].reason.startswith(
        "cannot build an instance of _Orphan to call it on: _Orphan is abstract (go), "
        "and no concrete subclass inherits run"
    )
    needs = run_case(MethodCase(_NeedsConfig, "__call__"), {"examples": 1})
    assert needs.results[0].reason == (
        "cannot build an instance of _NeedsConfig to call it on: its constructor cannot "
        "be called: argument 'config' has no annotation and no default; check it on one "
        "you build: sn.testing.check(instance.__call__)"
    )


def test_unions_optional_arguments_and_bare_arrays_are_drawn():
    def pick(
        idx: int | Int[Array, " n"],
        x: Float[Array, " n"] | Float[np.ndarray, " n"],
        mask: Float[Array, " n"] | None = None,
        extra: typing.Optional[Callable] = None,  # noqa: UP045
    ) -> Float[Array, " n"]:
        assert isinstance(x, jax.Array)  # the jax option is preferred: transforms apply
        assert mask is not None and mask.shape == x.shape  # the array option is drawn
        assert extra is None
        return x * mask + idx

    report = sn.testing.check(pick, examples=1)
    assert report.ok, str(report)
    assert report["jit"].status == "passed" and report["vmap"].status == "passed"

    def bare(x: jax.Array) -> Float[Array, "..."]:
        return x * 2

    args, _ = sn.testing.dummy_args(bare)
    assert args[0].shape == (3,) and args[0].dtype == jnp.float32

    def scale(x: Float[Array, " n"], factor: typing.Callable | None) -> Float[Array, " n"]:
        return x if factor is None else factor(x)

    (_, factor), _ = sn.testing.dummy_args(scale)
    assert factor is None  # `X | None` with no default and X not drawable: None


def test_grad_is_skipped_where_the_output_is_already_nan_but_fails_on_nan_gradients():
    def outside_domain(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.log(-jnp.abs(x))  # nan everywhere: these inputs are outside its domain

    r = sn.testing.check(outside_domain, properties=["grad"], examples=1)["grad"]
    assert r.status == "skipped" and "already non-finite at the drawn inputs" in r.reason

    def nan_gradient(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.sqrt(x * 0.0)  # finite output, infinite/nan gradient

    r = sn.testing.check(nan_gradient, properties=["grad"], examples=1)["grad"]
    assert r.status == "failed" and "non-finite" in r.reason


def test_finite_says_why_it_has_nothing_to_check_on_integer_inputs():
    def counts(idx: Int[Array, " n"]) -> Float[Array, " n"]:
        return idx.astype(jnp.float32) * 2.0

    r = sn.testing.check(counts, properties=["finite"])["finite"]
    assert r.status == "skipped" and "no unconstrained float input" in r.reason

    def floats(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x * 2.0

    assert sn.testing.check(floats, properties=["finite"])["finite"].status == "passed"


_SCALE_CACHE: dict[str, typing.Any] = {}


def test_a_traced_value_kept_in_a_cache_is_a_failure_that_says_so():
    def leaky(x: Float[Array, " n"]) -> Float[Array, " n"]:
        if "scale" not in _SCALE_CACHE:
            _SCALE_CACHE["scale"] = jnp.ones(()) * 2.0  # computed once, kept
        return x * _SCALE_CACHE["scale"]

    r = sn.testing.check(leaky, examples=2)["shapes"]
    assert r.status == "failed" and "UnexpectedTracerError" in r.reason
    assert "kept in state that outlives the trace" in r.reason

    def clean(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x * (jnp.ones(()) * 2.0)

    assert sn.testing.check(clean, examples=2).ok


def test_symbolic_sizes_int_arguments_and_positional_only_are_drawn():
    def harmonics(x: Float[Array, " n"], max_degree: int, /) -> Float[Array, "n (max_degree+1)**2"]:  # noqa: F821
        return jnp.repeat(x[:, None], (max_degree + 1) ** 2, axis=1)

    def conv_full(x: Float[Array, " n"]) -> Float[Array, " 2*n-1"]:
        return jnp.convolve(x, x)

    def tile(x: Float[Array, "... d"], num: int) -> Float[Array, "... num d"]:
        return jnp.repeat(x[..., None, :], num, axis=-2)

    def like(x: ArrayLike, y: Float[ArrayLike, " n"] | None = None) -> Float[Array, "..."]:
        return jnp.asarray(x) * 2

    for fn in (harmonics, conv_full, tile, like):
        # (like ignores y on purpose: the dead-input property is told so)
        report = sn.testing.check(fn, examples=2, unused=["y"] if fn is like else None)
        assert report.ok, str(report)
        assert {"shapes", "jit", "vmap"} <= {r.prop for r in report.passed}, str(report)

    def harmonics_bug(
        x: Float[Array, " n"], max_degree: int, /
    ) -> Float[Array, "n (max_degree+1)**2"]:  # noqa: F821
        return jnp.repeat(x[:, None], max_degree**2 + 1, axis=1)  # right only for 0

    assert sn.testing.check(harmonics_bug, examples=1)["shapes"].status == "failed"


def test_outputs_that_are_pytrees_of_arrays_are_compared_leaf_by_leaf():
    def stats(x: Float[Array, " n"]) -> dict:
        return {"mean": x.mean(), "scaled": x * 2}

    report = sn.testing.check(stats, examples=2)
    assert report.ok, str(report)
    assert {"jit", "grad", "vmap"} <= {r.prop for r in report.passed}, str(report)


def test_unusable_annotations_fail_the_first_property_with_the_message():
    def bad(x: Float[Array, " n"]) -> Float[Array, " n+"]:
        return x

    report = sn.testing.check(bad, properties=["shapes", "jit"])
    assert report["shapes"].status == "failed"
    assert report["shapes"].reason.startswith(
        "its annotations cannot be used: bad(), return: the symbolic axis 'n+' is not "
        "a valid Python expression"
    )
    assert report["jit"].status == "skipped"
    assert report["jit"].reason == "the annotations cannot be used (see 'shapes')"
    assert str(report).splitlines()[1] == "  shapes: FAILED"


def test_return_symbols_may_use_axes_the_return_binds():
    # lineax's tridiagonal: tuple[Shaped[Array, " size"], Shaped[Array, " size-1"], ...]
    @sn.shaped
    def tridiagonal(
        a: Float[Array, "n n"],
    ) -> tuple[Float[Array, " size"], Float[Array, " size-1"]]:
        return jnp.diag(a), jnp.diag(a, 1)

    d, u = tridiagonal(jnp.ones((4, 4)))
    assert d.shape == (4,) and u.shape == (3,)
    assert sn.testing.check(tridiagonal, examples=1, properties=["shapes", "jit"]).ok


def test_functions_returning_non_jax_values_are_checked_eagerly_and_jit_is_skipped():
    def make_scaler(w: Float[Array, " n"]) -> Callable:
        return lambda x: x * w  # a closure: jax.jit cannot return it

    report = sn.testing.check(make_scaler, examples=3)
    assert report.ok, str(report)
    assert report["jit"].status == "skipped"
    assert report["jit"].reason.startswith("returns something jax.jit cannot return")


def test_drawn_sizes_are_distinct_apart_and_no_sum_or_product_of_others():
    from shapely_nn.testing._sizes import AxisSet

    for names in [("a", "b", "c"), ("a", "b", "c", "d", "e", "f")]:
        axes = AxisSet(names, (), frozenset())
        for seed in range(20):
            for example in range(3):
                sizes = axes.draw(np.random.default_rng(seed), example=example).single
                values = sorted(sizes.values())
                assert all(b - a >= 2 for a, b in itertools.pairwise(values)), values
                assert max(values) <= 2 * len(values) + 4  # sizes stay small
                if len(names) == 3:  # and, while they can, no sum or product of two others
                    pairs = [(x, y) for i, x in enumerate(values) for y in values[i + 1 :]]
                    made = {x + y for x, y in pairs} | {x * y for x, y in pairs}
                    assert not made & set(values), values


def test_compiled_programs_are_kept_in_the_persistent_cache(tmp_path, monkeypatch):
    import subprocess
    import sys

    code = (
        "import shapely_nn as sn\n"
        "from shapely_nn.examples import mlp\n"
        "assert sn.testing.check(mlp.hidden, examples=1).ok\n"
    )
    cache = tmp_path / "cache"
    env = {**__import__("os").environ, "SHAPELY_NN_CACHE_DIR": str(cache)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    assert any(cache.iterdir())  # programs written
    off = {**env, "SHAPELY_NN_CACHE_DIR": "off"}
    other = tmp_path / "untouched"
    subprocess.run(
        [
            sys.executable,
            "-c",
            code + "import jax; assert not jax.config.jax_compilation_cache_dir\n",
        ],
        check=True,
        env={**off, "XDG_CACHE_HOME": str(other)},
        timeout=300,
    )
    assert not other.exists()
    with pytest.raises(TypeError, match="expected a path or None"):
        sn.testing.set_cache_dir(3)


def test_jit_catches_state_read_or_changed_while_tracing():
    calls = {"n": 0}

    def stateful(x: Float[Array, " n"]) -> Float[Array, " n"]:
        calls["n"] += 1  # a Python counter: jax.jit keeps what the first trace saw
        return x * calls["n"]

    report = sn.testing.check(stateful, properties=["shapes", "jit"])
    assert report["jit"].status == "failed", str(report)
    assert "tracing it twice on the same inputs gives two programs" in report["jit"].reason

    def noisy_at_trace(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x + np.random.default_rng().normal()  # numpy randomness, baked in

    assert sn.testing.check(noisy_at_trace, properties=["jit"])["jit"].status == "failed"

    def pure(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x * 2.0

    assert sn.testing.check(pure, properties=["jit"])["jit"].status == "passed"
