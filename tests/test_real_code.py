"""Code nobody wrote for shapely_nn: every annotated function is found, whatever
wraps it, and the causes of false alarms seen on published packages stay fixed
(each with a minimal function of our own)."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
import typing
import warnings
from typing import NamedTuple, Protocol

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest
from jaxtyping import Array, ArrayLike, Float, Int, PyTree, Real, Shaped

import shapely_nn as sn
from shapely_nn.testing._generate import discover, run_case

WRAPPED = """
from __future__ import annotations

import abc
import functools

import equinox as eqx
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


@jax.jit
def jitted(x: Float[Array, " n"]) -> Float[Array, " n"]:
    return 2 * x


@functools.partial(jax.jit, static_argnames=("reps",))
def tiled(x: Float[Array, " n"], reps: int) -> Float[Array, " n*reps"]:
    return jnp.tile(x, reps)


@eqx.filter_jit
def filtered(x: Float[Array, "n m"]) -> Float[Array, "m n"]:
    return x.T


def logged(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)

    return inner


@logged
def wrapped(x: Float[Array, " n"]) -> Float[Array, " n"]:
    return x + 1


def _predict(probs: Float[Array, "num states"]) -> Float[Array, " num"]:
    return probs.sum(axis=1)


alias = jitted  # the same function twice: listed once


class Plain:
    def __init__(self, scale: float = 2.0):
        self.scale = scale

    def __call__(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.scale * x

    def _private(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x

    @staticmethod
    def static(x: Float[Array, "a b"]) -> Float[Array, " a"]:
        return x.sum(axis=1)

    @classmethod
    def make(cls, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x


class Base(abc.ABC):
    @abc.abstractmethod
    def run(self, x: Float[Array, " n"]) -> Float[Array, " n"]: ...


class Layer(eqx.Module):
    w: Float[Array, "i o"]

    def __call__(self, x: Float[Array, " i"]) -> Float[Array, " o"]:
        return x @ self.w


def unannotated(x):
    return x


class Distribution:
    def cdf(self, value: Float[Array, " n"]) -> Float[Array, " n"]:
        'Not implemented here (an interface from before abc).'
        raise NotImplementedError


def to_sde(kernel: Layer) -> Float[Array, "a b"]:
    raise NotImplementedError(f"no state-space form for {kernel}")
"""


@pytest.fixture
def wrapped_pkg(tmp_path, monkeypatch):
    (tmp_path / "rc_wrapped.py").write_text(textwrap.dedent(WRAPPED))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "rc_wrapped"
    sys.modules.pop("rc_wrapped", None)


def test_every_annotated_function_is_found_whatever_wraps_it(wrapped_pkg):
    names = [n for n, _ in discover(wrapped_pkg)]
    assert names == [
        "Layer.__call__",
        "Plain.__call__",
        "Plain._private",
        "Plain.make",
        "Plain.static",
        "_predict",
        "filtered",
        "jitted",
        "tiled",
        "wrapped",
    ]
    public = [n for n, _ in discover(wrapped_pkg, private=False)]
    assert "_predict" not in public and "Plain._private" not in public
    assert "jitted" in public


def test_the_same_functions_are_found_in_a_package_sn_check_package_instruments(tmp_path):
    # instrumented at import, an abstract method is wrapped before abc sees it:
    # it stays an interface (and the class stays abstract)
    (tmp_path / "rc_wrapped_i.py").write_text(textwrap.dedent(WRAPPED))
    sys.path.insert(0, str(tmp_path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sn.check_package("rc_wrapped_i")
            names = [n for n, _ in discover("rc_wrapped_i")]
        module = sys.modules["rc_wrapped_i"]
        assert module.Base.__abstractmethods__ == frozenset({"run"})
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("rc_wrapped_i", None)
    assert "Base.run" not in names and "Plain.__call__" in names


def test_wrapped_functions_are_checked_through_their_wrapper(wrapped_pkg):
    cases = dict(discover(wrapped_pkg))
    for name in ("jitted", "tiled", "filtered", "wrapped", "Plain.static", "Plain.make"):
        report = run_case(cases[name], {"examples": 2})
        assert report.ok and report["shapes"].status == "passed", str(report)
    for name in ("Plain.__call__", "Layer.__call__"):
        report = run_case(cases[name], {"examples": 2, "properties": ["shapes", "jit"]})
        assert report.ok and report["shapes"].status == "passed", str(report)
    # the annotation bug in the private function is found: 'num states' is two axes
    report = run_case(cases["_predict"], {"examples": 1, "properties": ["shapes"]})
    assert report["shapes"].status == "passed"  # consistent with its own annotation...
    bad = run_case(cases["tiled"], {"examples": 1, "sizes": {"reps": 3}})
    assert bad.ok


# ---------------------------------------------------------------- false alarm 1


def test_retrace_counts_per_program_not_per_leaf_shape():
    # `order` is drawn per example while x keeps its pinned size: two examples with
    # identical leaf shapes are two programs, not a re-trace
    def features(x: Float[Array, " n"], order: int) -> Float[Array, "n order"]:
        return jnp.outer(x, jnp.arange(order, dtype=x.dtype))

    report = sn.testing.check(features, sizes={"n": 4}, properties=["shapes", "retrace"])
    assert report["retrace"].status == "passed", str(report)


# ---------------------------------------------------------------- false alarm 2


def test_a_name_only_symbolic_axes_use_is_drawn_like_an_axis():
    def harmonics(x: Float[Array, " n"]) -> Float[Array, "n (max_degree+1)**2"]:  # noqa: F821
        # correct for the degree it is given: the generator cannot pass it, so the
        # function reads it from nowhere; the drawn size exercises it
        return jnp.zeros((x.shape[0], 4)) + x[:, None]

    report = sn.testing.check(harmonics, sizes={"max_degree": 1}, properties=["shapes"])
    assert report["shapes"].status == "passed", str(report)
    # and the axis is checked against the drawn size
    wrong = sn.testing.check(harmonics, sizes={"max_degree": 2}, properties=["shapes"])
    assert wrong["shapes"].status == "failed"
    assert "(max_degree+1)**2 = 9" in wrong["shapes"].reason


def test_check_package_leaves_a_free_symbolic_axis_unchecked(tmp_path, monkeypatch):
    (tmp_path / "rc_free.py").write_text(
        "from jaxtyping import Array, Float\n"
        "def f(x: Float[Array, ' n']) -> Float[Array, ' (d+1)**2']:\n"
        "    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with sn.check_package("rc_free"):
        import rc_free
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert rc_free.f(jnp.ones(5)).shape == (5,)  # no error, no warning
        with pytest.raises(sn.ShapeError):
            rc_free.f(jnp.ones((5, 2)))  # the bound axis is still checked
    finally:
        sys.modules.pop("rc_free", None)


# ---------------------------------------------------------------- false alarm 3


def test_a_symbol_named_like_an_optional_int_argument():
    @sn.shaped
    def pad(x: Float[Array, " n"], extra: int | None = None) -> Float[Array, " n+extra"]:
        return x if extra is None else jnp.pad(x, (0, extra))

    assert pad(jnp.ones(3)).shape == (3,)  # None: the axis is not checked
    assert pad(jnp.ones(3), 2).shape == (5,)
    with pytest.raises(sn.ShapeError, match=r"n\+extra = 4"):

        @sn.shaped
        def wrong(x: Float[Array, " n"], extra: int | None = None) -> Float[Array, " n+extra"]:
            return x

        wrong(jnp.ones(3), 1)
    assert sn.testing.check(pad, properties=["shapes", "jit"]).ok


# ---------------------------------------------------------------- false alarm 4


class Sampler(Protocol):
    def sample(self) -> float: ...


def test_a_return_annotated_with_a_plain_protocol_is_left_unchecked():
    class Impl:
        def sample(self) -> float:
            return 1.0

    @sn.shaped
    def make(x: Float[Array, " n"]) -> Sampler:
        return Impl()

    with pytest.warns(sn.AnnotationWarning, match="beartype cannot check it at run time"):
        make(jnp.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(jnp.ones(2))  # warned once
        with pytest.raises(sn.ShapeError):
            make(jnp.ones((2, 2)))  # the array argument is still checked


# ---------------------------------------------------------------- false alarm 5

OTHER_DECORATOR = """
import functools
import inspect


def keep_signature(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)

    inner.__signature__ = inspect.signature(fn, eval_str=False)
    return inner
"""

USER_MODULE = """
from __future__ import annotations

from typing import TYPE_CHECKING

from jaxtyping import Array, Float

from rc_deco import keep_signature

if TYPE_CHECKING:
    from somewhere import Config


@keep_signature
def scale(x: Float[Array, " n"], config: Config | None = None) -> Float[Array, " n"]:
    return 2 * x
"""


def test_annotations_of_a_wrapped_function_resolve_in_its_own_module(tmp_path, monkeypatch):
    (tmp_path / "rc_deco.py").write_text(OTHER_DECORATOR)
    (tmp_path / "rc_user.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import rc_user

        report = sn.testing.check(rc_user.scale, examples=1, properties=["shapes"])
        assert report["shapes"].status == "passed", str(report)
    finally:
        sys.modules.pop("rc_user", None)
        sys.modules.pop("rc_deco", None)


# ---------------------------------------------------------------- false alarm 6


def test_a_bare_array_the_function_cannot_use_is_a_skip_not_a_failure():
    def det(m: jax.Array, w: Float[Array, " k"]) -> Float[Array, " k"]:
        return w * jnp.linalg.det(m)  # needs a square matrix; float32[3] is refused

    report = sn.testing.check(det, properties=["shapes", "jit"])
    assert report.ok and report["shapes"].status == "skipped"
    assert report["shapes"].reason.startswith(
        "m: the function refused the float32 vector drawn for it (annotated Array, no shape)"
    )
    assert "fixed=" in report["shapes"].reason

    def norm(v: jax.Array, w: Float[Array, " k"]) -> Float[Array, " k"]:
        return w * jnp.sqrt(jnp.sum(v**2))  # any vector will do: still exercised

    assert sn.testing.check(norm, properties=["shapes"])["shapes"].status == "passed"


BACKEND_MODULE = """
from __future__ import annotations

from jaxtyping import Array, Float

try:
    import shapely_nn_no_such_backend as nsb
except ImportError:
    pass


def to_backend(x: Float[Array, " n"]) -> Float[nsb.Tensor, " n"]:
    return x
"""


def test_an_annotation_naming_a_backend_that_is_not_installed_is_skipped(tmp_path, monkeypatch):
    (tmp_path / "rc_backend.py").write_text(BACKEND_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import rc_backend

        report = sn.testing.check(rc_backend.to_backend, properties=["shapes", "jit"])
        assert report.ok and report["shapes"].status == "skipped", str(report)
        assert "shapely_nn_no_such_backend, which is not installed" in report["shapes"].reason
    finally:
        sys.modules.pop("rc_backend", None)


# ---------------------------------------------------------------- false alarm 7


def test_varargs_arrays_are_drawn():
    def total(*xs: Float[Array, " n"]) -> Float[Array, " n"]:
        return sum(xs[1:], xs[0])

    report = sn.testing.check(total)
    assert report.ok and report["shapes"].status == "passed", str(report)

    def first_only(*xs: Float[Array, " n"]) -> Float[Array, " n"]:
        return xs[0] + xs[1][:1]  # ignores all but the first element of the second

    assert sn.testing.check(first_only, properties=["shapes"]).ok  # shapes still agree
    assert sn.testing.dummy_args(total, {"n": 3})[0][1].shape == (3,)


# ---------------------------------------------------------------- false alarm 8

IMPORT_TIME = """
import jax.numpy as jnp
from jaxtyping import Array, Float


def f(x: Float[Array, " n"]) -> Float[Array, " n"]:
    return x


f(jnp.ones((2, 2)))  # a module-level call the checks refuse
"""


def test_a_shape_error_while_a_module_imports_skips_that_module(tmp_path, monkeypatch):
    pkg = tmp_path / "rc_importerr"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text(
        "from jaxtyping import Array, Float\n"
        "def g(x: Float[Array, ' n']) -> Float[Array, ' n']:\n    return x\n"
    )
    (pkg / "bad.py").write_text(IMPORT_TIME)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with sn.check_package("rc_importerr"):
            import rc_importerr

            skip = r"skips module rc_importerr.bad: importing it raised ShapeError"
            with pytest.warns(UserWarning, match=skip):
                names = [n for n, _ in discover(rc_importerr)]
        assert names == ["good.g"]
    finally:
        for m in [m for m in sys.modules if m.startswith("rc_importerr")]:
            sys.modules.pop(m)


# ---------------------------------------------------------------- eager-only and non-differentiable code


def test_code_written_to_run_eagerly_is_a_skip_under_jit_with_the_reason():
    def count_positive(x: Float[Array, " n"]) -> Float[Array, " n"]:
        if bool((x > 0).all()):  # Python control flow on values: eager only
            return x
        return jnp.abs(x)

    report = sn.testing.check(count_positive, properties=["shapes", "jit"])
    assert report.ok and report["jit"].status == "skipped"
    assert "uses array values as Python values" in report["jit"].reason
    assert "if it is meant to run under jax.jit, that is a bug" in report["jit"].reason
    # told in the user's terms: no harness internals
    assert "shapely_nn/testing" not in report["jit"].reason
    assert "leaves[" not in report["jit"].reason


def test_reports_name_the_users_argument_not_the_harness():
    def uses_value(x: Float[Array, " n"], k: Float[Array, ""]) -> Float[Array, " n"]:
        return jnp.zeros(int(k) + x.shape[0]) + x.sum()  # eager only: int() of a value

    reason = sn.testing.check(uses_value, properties=["jit"])["jit"].reason
    assert "argument k" in reason and "leaves[" not in reason, reason
    assert "forward" not in reason and "_runner.py" not in reason, reason


def test_a_function_jax_cannot_differentiate_in_reverse_mode_is_a_skip():
    def iterate(x: Float[Array, " n"], steps: int = 3) -> Float[Array, " n"]:
        return jax.lax.fori_loop(0, jnp.asarray(steps), lambda i, v: v * 0.5, x)

    report = sn.testing.check(iterate, properties=["shapes", "grad"])
    assert report.ok and report["grad"].status == "skipped", str(report)
    assert "not reverse-mode differentiable" in report["grad"].reason

    def nan_grad(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.sqrt(jnp.abs(x) - jnp.abs(x))  # finite output, NaN gradient: a bug

    assert sn.testing.check(nan_grad, properties=["grad"])["grad"].status == "failed"


def test_a_pytree_of_arrays_gets_one_leaf():
    def scale_tree(
        tree: PyTree[Float[Array, " n"]], c: Float[Array, ""]
    ) -> PyTree[Float[Array, " n"]]:
        return jax.tree_util.tree_map(lambda t: c * t, tree)

    report = sn.testing.check(scale_tree, properties=["shapes", "jit", "grad"])
    assert report.ok and report["shapes"].status == "passed", str(report)


def test_an_example_too_large_for_memory_is_skipped_before_it_runs():
    def grid(x: Float[Array, " dim"], order: int = 10) -> Float[Array, " dim"]:
        # order**dim points: Gauss-Hermite style, exponential in a drawn size
        pts = jnp.stack(jnp.meshgrid(*[jnp.arange(order, dtype=x.dtype)] * x.shape[0]))
        return x * pts.mean()

    report = sn.testing.check(grid, sizes={"dim": 9}, properties=["shapes"])
    assert report["shapes"].status == "skipped", str(report)
    assert "would hold an array of shape (9, 10, 10" in report["shapes"].reason
    assert "pin smaller sizes with sizes=" in report["shapes"].reason
    assert sn.testing.check(grid, sizes={"dim": 3}, properties=["shapes"]).ok


class _Quadrature(NamedTuple):
    order: int = 3

    def points(self, m: Float[Array, " dim"]) -> Float[Array, "order**dim dim"]:
        # dynamax's GHKF: a field of self sizes the output
        grids = jnp.meshgrid(*[jnp.arange(self.order, dtype=m.dtype)] * m.shape[0])
        return jnp.stack([g.ravel() for g in grids], axis=1) + m


def test_a_symbolic_axis_using_an_attribute_of_the_instance():
    from shapely_nn.testing._generate import run_case
    from shapely_nn.testing._instances import MethodCase

    report = run_case(MethodCase(_Quadrature, "points"), {"examples": 2, "sizes": {"dim": 2}})
    assert report["shapes"].status == "passed", str(report)


class Graph(eqx.Module):
    laplacian: Float[Array, "N N"]

    def prepare(self, indices: Int[Array, " N"] | int) -> Int[Array, "N 1"]:
        # this N counts the indices, not the graph's nodes
        return jnp.atleast_1d(jnp.asarray(indices, jnp.int32)).reshape(-1, 1)


def test_a_methods_axes_are_not_tied_to_the_fields_of_self_in_code_not_written_for_it():
    # jaxtyping checks no unannotated `self`: reusing a field's axis name in a
    # method means nothing there, so the generator (like sn.check_package)
    # does not bind it from the instance
    graph = Graph(laplacian=jnp.eye(5))
    report = sn.testing.check(graph.prepare, properties=["shapes", "jit"], examples=3)
    assert not report.failed, report


GENERIC = """
from __future__ import annotations

import abc
import typing

import jax.numpy as jnp
from jaxtyping import Array, Float

K = typing.TypeVar("K", bound="{mod}.Kernel")


class Kernel:
    def __init__(self, scale: float = 2.0) -> None:
        self.scale = scale


class Prior(typing.Generic[K]):
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel


class Engine:  # not an ABC: @abc.abstractmethod does not stop Engine() here
    @abc.abstractmethod
    def _gram(self, kernel: K, x: Float[Array, "n d"]) -> Float[Array, "n n"]: ...

    def gram(self, kernel: K, x: Float[Array, "n d"]) -> Float[Array, "n n"]:
        return self._gram(kernel, x)


class Dense(Engine):
    def _gram(self, kernel: K, x: Float[Array, "n d"]) -> Float[Array, "n n"]:
        return kernel.scale * x @ x.T


def sample(prior: Prior[K], x: Float[Array, "n d"]) -> Float[Array, " n"]:
    return prior.kernel.scale * x.sum(axis=1)


def gram_of(kernel: K, x: Float[Array, "n d"]) -> Float[Array, "n n"]:
    return kernel.scale * x @ x.T
"""


def test_generic_classes_string_bound_typevars_and_abstract_methods_outside_an_abc(tmp_path):
    # gpjax: `prior: Prior[M, K]`, `K = TypeVar("K", bound="gpjax.kernels.AbstractKernel")`,
    # and an engine class using @abc.abstractmethod without ABCMeta (its
    # "abstract" _gram returns None when the base class itself is built)
    name = "sn_generic_mod"
    (tmp_path / f"{name}.py").write_text(GENERIC.replace("{mod}", name))
    sys.path.insert(0, str(tmp_path))
    try:
        cases = dict(discover(name))
        reports = {n: run_case(obj, {"examples": 2}) for n, obj in cases.items()}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    for n in ("sample", "gram_of", "Engine.gram", "Dense._gram"):
        assert reports[n].passed and not reports[n].failed, (n, reports[n])


class JittedLoss(eqx.Module):
    w: Float[Array, " n"]

    @eqx.filter_jit
    def __call__(self, x: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(x * self.w)

    @eqx.filter_jit
    def broken(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.sum(x * self.w)  # a scalar where a vector is promised


def test_a_filter_jit_method_on_an_instance_is_checked():
    # equinox binds it as Partial(jitted, instance), not as a bound method
    loss = JittedLoss(w=jnp.ones(4))
    report = sn.testing.check(loss.__call__, examples=2, sizes={"n": 4})
    assert report["shapes"].status == "passed", str(report)
    assert not report.failed
    bad = sn.testing.check(loss.broken, examples=1, sizes={"n": 4}, properties=["shapes"])
    assert bad["shapes"].status == "failed"


Y = typing.TypeVar("Y")


def test_structured_pytrees_unbound_typevars_and_between_for_0d_arrays_are_drawn():
    # diffrax: `y0: PyTree[Float[Array, "?*y"], "Y"]`; optimistix: `y: Y` (any
    # pytree); flowjax: a `between` bound for an argument annotated Real[Array, ""]
    def step(
        y0: PyTree[Float[Array, "?n"], "Y"], dt: Float[Array, ""]
    ) -> PyTree[Float[Array, "?n"], "Y"]:
        return jax.tree.map(lambda y: y * dt, y0)

    def double(y: PyTree[Shaped[ArrayLike, "?*y"], "Y"]) -> PyTree[Shaped[Array, "?*y"], "Y"]:
        return jax.tree.map(lambda v: v * 2, y)

    def scale(y: Y, s: Float[Array, ""]) -> Y:
        return jax.tree.map(lambda v: v * s, y)

    def shift(x: Float[Array, " n"], lo: Real[Array, ""]) -> Float[Array, " n"]:
        return x - lo

    for fn, kw in (
        (step, {}),
        (scale, {}),
        (shift, {"fixed": {"lo": sn.testing.between(0.0, 1.0)}}),
    ):
        report = sn.testing.check(fn, examples=2, **kw)
        assert report["shapes"].status == "passed", str(report)
        assert not report.failed, str(report)

    def wrong(y0: PyTree[Float[Array, "?n"], "Y"]) -> PyTree[Float[Array, "?n"], "Y"]:
        return jax.tree.map(lambda y: y[1:], y0)  # a leaf shorter than it came

    assert sn.testing.check(wrong, examples=1, properties=["shapes"])["shapes"].status == "failed"


class Likelihood(eqx.Module):
    scale: typing.Any = 2.0  # no array annotation: built through its constructor

    def targets(self, y: Float[Array, "n d"]) -> Float[Array, "n d"]:
        return y * self.scale


class Bernoulli(Likelihood):
    pass


class MultiOutput(Likelihood):
    def targets(self, y: Float[Array, "n d"]) -> Float[Array, "n d"]:
        return y[:, :1]  # wrong for d > 1: only ever run when a MultiOutput is asked for


def test_a_factory_serves_a_method_only_with_an_instance_of_its_class():
    from shapely_nn.testing._instances import MethodCase
    from shapely_nn.testing._preconditions import _FACTORIES

    def run(cls):
        return run_case(MethodCase(cls, "targets"), {"examples": 2, "properties": ["shapes"]})

    # gpjax: a MultiOutputGaussian factory was used for Gaussian's own methods
    sn.testing.register(MultiOutput, lambda: MultiOutput(scale=jnp.asarray(2.0)))
    try:
        base, multi = run(Likelihood), run(MultiOutput)
    finally:
        _FACTORIES.pop(MultiOutput)
    assert base["shapes"].status == "passed", str(base)  # a Likelihood, built itself
    assert multi["shapes"].status == "failed", str(multi)

    # a factory for the base that makes a subclass: the base's own method runs
    # on it (not the override), a sibling class is built itself
    sn.testing.register(Likelihood, lambda: MultiOutput(scale=jnp.asarray(2.0)))
    try:
        base, bern = run(Likelihood), run(Bernoulli)
    finally:
        _FACTORIES.pop(Likelihood)
    assert base["shapes"].status == "passed", str(base)
    assert bern["shapes"].status == "passed", str(bern)


@jax.tree_util.register_pytree_node_class
class Data:
    """Like gpjax's Dataset: rebuilding it checks its inputs are 2-d."""

    def __init__(self, X):
        if X.ndim != 2:
            raise ValueError(f"Inputs, X, must be a 2-dimensional array. Got X.ndim={X.ndim}.")
        self.X = X

    def tree_flatten(self):
        return (self.X,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_vmap_compares_the_output_arrays_of_an_object_that_refuses_batched_ones():
    def condition(x: Float[Array, "n d"]) -> Data:
        return Data(2 * x)

    report = sn.testing.check(condition, examples=1, properties=["vmap"])
    assert report["vmap"].status == "passed", str(report)


def test_a_literal_argument_gets_one_of_its_values():
    def gram(
        x: Float[Array, "n d"], covariance: typing.Literal["dense", "diagonal"]
    ) -> Float[Array, "n n"]:
        return x @ x.T if covariance == "dense" else jnp.diag(jnp.sum(x * x, 1))

    report = sn.testing.check(gram, examples=2)
    assert report["shapes"].status == "passed" and not report.failed, str(report)


@dataclasses.dataclass
class Dataset:
    X: Float[Array, "N D"]
    y: Float[Array, "N Q"]


def test_a_dataclass_s_axes_are_its_own_in_code_not_written_for_shapely_nn():
    # gpjax's get_batch returns a Dataset of batch_size rows: its N is not the
    # N of the Dataset it was given (jaxtyping checks a dataclass's fields among
    # themselves); with @sn.shaped, parameter structures share the function's axes
    def get_batch(data: Dataset, batch_size: int) -> Dataset:
        return Dataset(data.X[:batch_size], data.y[:batch_size])

    report = sn.testing.check(
        get_batch, fixed={"batch_size": 2}, sizes={"N": 5}, properties=["shapes", "jit"]
    )
    assert not report.failed and report["shapes"].status == "passed", str(report)

    def broken(data: Dataset) -> Dataset:
        return Dataset(data.X[:2], data.y[:3])  # rows disagree within the batch

    bad = sn.testing.check(broken, sizes={"N": 5}, properties=["shapes"])
    assert bad["shapes"].status == "failed", str(bad)

    shaped = sn.shaped(get_batch)
    with pytest.raises(sn.ShapeError):
        shaped(Dataset(jnp.ones((5, 2)), jnp.ones((5, 1))), 2)


@jax.tree_util.register_pytree_node_class
class StudentT:
    """Like a numpyro distribution: a python number among its leaves."""

    def __init__(self, df, loc):
        self.df, self.loc = df, loc

    def tree_flatten(self):
        return (self.df, self.loc), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_vmap_of_an_object_holding_python_numbers_is_compared_like_for_like():
    def spectral(loc: Float[Array, " d"]) -> StudentT:
        return StudentT(3, 2 * loc)

    assert sn.testing.check(spectral, examples=1, properties=["vmap"])["vmap"].status == "passed"


class Bern(eqx.Module):
    logits: jax.Array | None
    probs: jax.Array | None

    def __init__(self, logits: jax.Array | None = None, probs: jax.Array | None = None):
        if (logits is None) == (probs is None):
            raise ValueError("One and exactly one of `logits` and `probs` should be `None`")
        self.logits, self.probs = logits, probs

    def entropy(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        p = jax.nn.sigmoid(self.logits) if self.logits is not None else self.probs
        return x * jnp.sum(p)


def test_an_instance_needing_exactly_one_of_two_optional_arguments_is_built():
    # distreqx: Bernoulli(logits=None, probs=None) raises; one of them at a time works
    from shapely_nn.testing._instances import MethodCase

    report = run_case(MethodCase(Bern, "entropy"), {"examples": 2, "properties": ["shapes"]})
    assert report["shapes"].status == "passed", str(report)


# ---------------------------------------------------- found on diffrax, second round


def test_a_function_that_raises_when_called_again_is_a_failure_not_a_crash():
    # diffrax's progress meter: its host-side state is gone after the first call
    from jax.experimental import io_callback

    calls = []

    def once(x: Float[Array, " n"]) -> Float[Array, " n"]:
        def host(v):
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("this handle is closed")
            return v

        return io_callback(host, jax.ShapeDtypeStruct(x.shape, x.dtype), x)

    report = sn.testing.check(once, examples=1)  # does not raise
    assert report.failed, str(report)


def test_structure_names_are_shared_by_arguments_and_fields_within_one_call():
    # diffrax's Solution: ts: PyTree[..., " S"], ys: PyTree[..., "S ..."]
    @sn.shaped
    def two(
        ts: PyTree[Float[Array, " ?times"], " S"],
        ys: PyTree[Float[Array, "?times ?*shape"], "S ..."],
    ) -> Float[Array, ""]:
        return ts.sum() + ys.sum()

    assert two(jnp.zeros(2), jnp.zeros((2, 3))) == 0.0


_C = typing.TypeVar("_C", bound=PyTree[Shaped[ArrayLike, "?*control"], "C"])  # noqa: F821


class Term(eqx.Module, typing.Generic[_C]):
    scale: float

    @sn.shaped
    def prod(self, v: Float[Array, " n"], control: _C) -> Float[Array, " n"]:
        return v * jnp.sum(control) * self.scale


def test_a_typevar_bound_in_an_outer_call_does_not_leak_into_the_calls_it_makes():
    @sn.shaped
    def step(
        terms: tuple[Term[bool | int | float | Float[Array, ""]], Term], v: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        drift, diffusion = terms
        return drift.prod(v, jnp.array(0.1)) + diffusion.prod(v, jnp.ones(3))

    assert step((Term(1.0), Term(2.0)), jnp.ones(3)).shape == (3,)


def test_a_registered_factory_wins_over_drawing_the_fields():
    from shapely_nn.testing._instances import MethodCase
    from shapely_nn.testing._preconditions import _FACTORIES

    class Steps(eqx.Module):
        ts: Float[Array, " n"]  # must increase: drawn fields would not

        def first_step(self, t0: Float[Array, ""]) -> Float[Array, ""]:
            ts = eqx.error_if(self.ts, self.ts[1:] <= self.ts[:-1], "ts must increase")
            return ts[1] - t0

    made = []
    sn.testing.register(Steps, lambda: made.append(1) or Steps(jnp.arange(4.0)))
    try:
        report = run_case(
            MethodCase(Steps, "first_step"), {"examples": 2, "properties": ["shapes"]}
        )
    finally:
        _FACTORIES.pop(Steps)
    assert made and report["shapes"].status == "passed", str(report)


def test_an_input_marked_not_differentiable_on_purpose_skips_grad():
    import equinox.internal as eqxi

    def f(t: Float[Array, ""], x: Float[Array, " n"]) -> Float[Array, " n"]:
        t = eqxi.nondifferentiable(t, name="t")
        return x * jnp.sin(t)

    report = sn.testing.check(f, examples=1, properties=["grad"])
    assert (
        report["grad"].status == "skipped"
        and "not reverse-mode differentiable" in report["grad"].reason
    )


def test_python_numbers_follow_pep_484s_numeric_tower():
    # interpax's asarray_inexact(x: ... | complex | ...) is called with a float
    @sn.shaped
    def as_inexact(x: complex | Float[Array, "..."], scale: float) -> Float[Array, "..."]:
        return jnp.asarray(x, jnp.float32) * scale

    assert as_inexact(0.5, 2).shape == ()  # float for complex, int for float
    with pytest.raises(sn.ShapeError, match="argument 'x'"):
        as_inexact("0.5", 2.0)
    with pytest.raises(sn.ShapeError, match="argument 'scale'"):
        as_inexact(0.5, 2j)


ABSTRACT_VAR = """
import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float


class AbstractSolver(eqx.Module):
    rtol: eqx.AbstractVar[float]

    def step(self, y: Float[Array, " n"]) -> Float[Array, " n"]:
        return y * (1.0 - self.rtol)


class Solver(AbstractSolver):
    rtol: float = 0.5
"""


def test_a_method_of_an_equinox_class_with_abstract_fields_runs_on_a_concrete_subclass(tmp_path):
    # optimistix: AbstractGaussNewton declares rtol, atol, ... as eqx.AbstractVar
    # (no abstract method), so building it raises; GaussNewton inherits its step
    name = "sn_abstract_var_mod"
    (tmp_path / f"{name}.py").write_text(ABSTRACT_VAR)
    sys.path.insert(0, str(tmp_path))
    try:
        cases = dict(discover(name))
        report = run_case(cases["AbstractSolver.step"], {"examples": 2})
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    assert report["shapes"].status == "passed", str(report)
    assert not report.failed


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass
class Checked:
    """A pytree whose constructor checks its fields (gpjax's Dataset does)."""

    x: typing.Any

    def __post_init__(self) -> None:
        _validate(self.x)

    def tree_flatten(self):
        return (self.x,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


@sn.shaped
def _validate(x: Float[Array, "..."]) -> None:
    pass


def test_an_output_pytree_whose_constructor_checks_its_fields_is_not_rebuilt_from_shapes():
    # jax.eval_shape / make_jaxpr rebuild the output from ShapeDtypeStructs through
    # tree_unflatten, where the checked constructor refused them (gpjax get_batch
    # under check_package); shapely_nn rebuilds it with checks off
    def subset(data: Checked, k: Int[Array, " m"]) -> Checked:
        return Checked(data.x[k % data.x.shape[0]])

    report = sn.testing.check(subset, fixed={"data": Checked(jnp.ones((3, 2)))}, examples=3)
    assert report["shapes"].status == "passed" and not report.failed, str(report)
    with pytest.raises(sn.ShapeError, match="argument 'x'"):
        Checked(jnp.ones(3, jnp.int32))  # the check is on where it should be


def test_a_shape_dtype_struct_is_named_as_such_not_as_an_array():
    with pytest.raises(sn.ShapeError) as e:
        _validate(jax.ShapeDtypeStruct((2,), jnp.float32))
    assert "jax.ShapeDtypeStruct: a shape and dtype, no array" in str(e.value)
    assert "(jax.Array)" not in str(e.value)


class _RaisingMeta(type):
    def __subclasscheck__(cls, sub):
        # typing_extensions' Protocol under typing.runtime_checkable on 3.11
        raise AttributeError("type object has no attribute '__non_callable_proto_members__'")


class ParamSet(metaclass=_RaisingMeta):
    pass


class _Registered:
    pass


def test_a_class_whose_subclass_check_raises_does_not_crash_the_generator():
    # dynamax annotates params: ParameterSet, whose issubclass check raises
    sn.testing.register(_Registered, lambda: _Registered())

    def log_prior(params: ParamSet, x: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(x)

    report = sn.testing.check(log_prior, examples=2)
    assert report["shapes"].status == "passed" and not report.failed, str(report)
