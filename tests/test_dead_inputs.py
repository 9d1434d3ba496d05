"""The `dead` property: an input that influences nothing is reported, and the
designs where ignoring an input is right (an interface one implementation of
which needs fewer inputs, an argument that only passes its shape on, a guard on
a domain) are not."""

from __future__ import annotations

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Bool, Float, PRNGKeyArray

import shapely_nn as sn
from shapely_nn.testing._preconditions import _FACTORIES


def _dead(fn, **kw):
    report = sn.testing.check(fn, properties=["dead"], examples=1, **kw)
    (result,) = report.results
    return result


def test_a_bias_added_to_a_discarded_copy_is_reported():
    def layer(x: Float[Array, "n d"], b: Float[Array, " d"]) -> Float[Array, "n d"]:
        y = x + b  # noqa: F841 (the bug: the biased copy is dropped)
        return jnp.tanh(x)

    result = _dead(layer)
    assert result.status == "failed"
    assert "b does not influence the outputs" in result.reason
    assert "unused=['b']" in result.reason


def test_a_mask_never_applied_is_reported_under_jit():
    @jax.jit
    def masked_sum(x: Float[Array, " n"], mask: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(x)

    result = _dead(masked_sum)
    assert result.status == "failed" and "mask does not influence" in result.reason


def test_the_opt_out_silences_it():
    def layer(x: Float[Array, " n"], b: Float[Array, " n"]) -> Float[Array, " n"]:
        return x

    assert _dead(layer, unused=["b"]).status != "failed"


def test_a_used_input_passes():
    def layer(x: Float[Array, "n d"], b: Float[Array, " d"]) -> Float[Array, "n d"]:
        return jnp.tanh(x + b)

    assert _dead(layer).status == "passed"


def test_an_input_used_only_inside_a_domain_guard_is_not_dead():
    # both parameters outside the domain switch the result off together: a new
    # draw of one alone changes nothing when the other is still negative
    def integral(
        x: Float[Array, " n"], scale: Float[Array, ""], variance: Float[Array, ""]
    ) -> Float[Array, "n n"]:
        inactive = (scale < 1e-6) | (variance < 1e-6)
        full = variance * jnp.exp(-((x[:, None] - x[None, :]) ** 2) / scale**2)
        return jnp.where(inactive, jnp.zeros((x.shape[0], x.shape[0])), full)

    assert _dead(integral).status == "passed"


def test_an_argument_that_only_passes_its_shape_on_is_not_dead():
    def zeros_like_rows(x: Float[Array, "n d"], y: Float[Array, " k"]) -> Float[Array, " n"]:
        return jnp.zeros(x.shape[0]) + jnp.sum(y)

    assert _dead(zeros_like_rows).status == "passed"

    class Diagonal:
        def __init__(self, n: int) -> None:
            self.n = n

    def diagonal(x: Float[Array, "n d"], v: Float[Array, ""]) -> Diagonal:
        # an object holding no arrays of x: x is there for its n alone
        return jnp.full(x.shape[0], v)  # type: ignore[return-value]

    assert _dead(diagonal).status != "failed"


class Kernel(eqx.Module):
    variance: Float[Array, ""]

    def diag(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x**2 * self.variance


class Constant(Kernel):
    def diag(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.ones_like(x) * self.variance  # the interface's x, unneeded here


class Base(eqx.Module):
    scale: Float[Array, ""]

    def step(self, dt: Float[Array, ""]) -> Float[Array, "2 2"]:
        return jnp.eye(2) * self.scale  # the default: dt = 0; subclasses use dt

    @abc.abstractmethod
    def name(self) -> str: ...


class Decaying(Base):
    def step(self, dt: Float[Array, ""]) -> Float[Array, "2 2"]:
        return jnp.eye(2) * jnp.exp(-dt) * self.scale

    def name(self) -> str:
        return "decaying"


def test_an_override_that_ignores_an_interface_argument_is_not_dead():
    constant = Constant(variance=jnp.asarray(2.0))
    result = _dead(constant.diag)
    assert result.status == "skipped" and "interface" in result.reason


def test_a_default_a_subclass_overrides_is_not_dead():
    class Plain(Base):
        def name(self) -> str:
            return "plain"

    result = _dead(Plain(scale=jnp.asarray(1.0)).step)
    assert result.status == "skipped" and "interface" in result.reason


def test_a_method_no_other_class_defines_is_still_checked():
    class Lonely(eqx.Module):
        w: Float[Array, ""]

        def apply(self, x: Float[Array, " n"], b: Float[Array, " n"]) -> Float[Array, " n"]:
            return x * self.w

    result = _dead(Lonely(w=jnp.asarray(3.0)).apply)
    assert result.status == "failed" and "b does not influence" in result.reason


def test_a_function_given_one_implementation_of_several_is_not_blamed():
    def diag_sum(kernel: Kernel, x: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(kernel.diag(x))

    result = _dead(diag_sum, fixed={"kernel": Constant(variance=jnp.asarray(1.0))})
    assert result.status == "skipped" and "which Constant" in result.reason


def test_a_bare_callable_is_not_served_by_a_factory_of_a_callable_class():
    # a kernel has __call__, so it is a Callable by its shape: not a stand-in
    class Scaler(eqx.Module):
        k: Float[Array, ""]

        def __call__(self, a: Float[Array, " n"], b: Float[Array, " n"]) -> Float[Array, ""]:
            return jnp.sum(a * b) * self.k

    def apply(f: Callable, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return f(x)

    sn.testing.register(Scaler, lambda: Scaler(k=jnp.asarray(1.0)))
    try:
        report = sn.testing.check(apply, properties=["shapes"], examples=1)
    finally:
        _FACTORIES.pop(Scaler)
    assert report.results[0].status == "passed"


def test_a_branch_a_flag_does_not_select_is_not_dead():
    # drawn False, `pred` sends every output through b: a is live for True
    def where(
        pred: Bool[Array, ""], a: Float[Array, " n"], b: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        return jnp.where(pred, a, b)

    for seed in range(3):
        result = sn.testing.check(where, properties=["dead"], examples=1, seed=seed).results[0]
        assert result.status == "passed", result


def test_a_yes_no_answer_is_not_blamed_for_its_inputs():
    def allfinite(x: Float[Array, " n"]) -> Bool[Array, ""]:
        return jnp.all(jnp.isfinite(x))

    result = _dead(allfinite)
    assert result.status == "skipped" and "yes/no" in result.reason


def test_a_typed_prng_key_output_is_compared_through_its_bits():
    def split(key: PRNGKeyArray, x: Float[Array, " n"]):
        return jr.split(key, 2), x * 2

    report = sn.testing.check(split, examples=2)
    assert not report.failed, report
    assert {r.prop for r in report.passed} >= {"jit", "vmap"}


def test_inputs_are_not_blamed_where_every_output_is_nan():
    # interpax: queries outside unsorted drawn knots give NaN whatever the values
    def interp(
        xq: Float[Array, " q"], x: Float[Array, " n"], f: Float[Array, " n"]
    ) -> Float[Array, " q"]:
        return jnp.full(xq.shape, jnp.nan) + 0 * jnp.sum(x) * jnp.sum(f)

    result = _dead(interp)
    assert result.status == "skipped" and "finite" in result.reason


# ------------------------------------------------ finite: gradients on shifted inputs


def test_a_where_whose_unused_branch_overflows_has_its_nan_gradient_reported():
    # distreqx's Sigmoid bijector: where(x < -9, exp(x), sigmoid(x)) at x = 100:
    # exp(100) is inf in float32, and inf * 0 in the gradient is NaN
    def stable_sigmoid(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.where(x < -9, jnp.exp(x), jax.nn.sigmoid(x))

    report = sn.testing.check(stable_sigmoid, examples=1, properties=["grad", "finite"])
    assert report["finite"].status == "failed", str(report)
    assert "overflow in the derivative" in report["finite"].reason
    assert report["grad"].status == "passed"

    def fixed(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.where(x < -9, jnp.exp(jnp.minimum(x, -9.0)), jax.nn.sigmoid(x))

    report = sn.testing.check(fixed, examples=1, properties=["grad", "finite"])
    assert not report.failed, str(report)


def test_a_gradient_that_is_infinite_in_float64_too_is_not_blamed():
    def exp_sum(x: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(jnp.exp(10 * x))  # inf beyond float64 too at x = 100

    report = sn.testing.check(exp_sum, examples=1, properties=["finite"])
    assert report["finite"].status != "failed", str(report)


def test_an_input_handed_only_to_a_stand_in_function_is_not_blamed():
    # dynamax's EKF _predict(m, f, u): u goes to f, and shapely_nn's stand-in for
    # f (it returns its first argument) ignores it
    def predict(
        m: Float[Array, " d"],
        f: Callable[[Float[Array, " d"], Float[Array, " u"]], Float[Array, " d"]],
        u: Float[Array, " u"],
    ) -> Float[Array, " d"]:
        return f(m, u)

    result = _dead(predict)
    assert result.status == "skipped" and "stand-in" in result.reason
