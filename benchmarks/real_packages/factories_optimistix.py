"""Factories `optimistix.toml` names: the problems optimistix's solvers are
given (a function `fn(y, args) -> (out, aux)`, a starting point, the structure
of the output), the solvers themselves (tolerances are required), and their
states, which only the solver's own `init` makes.

Every problem is on y: a float32 vector of 3. `args` is whatever shapely_nn
draws for a bare `PyTree` (a float32 vector of 3, a guess it reports): each
`fn` below uses it, so it is a real input. `y` is annotated with an unbound
TypeVar (`Y`), which nothing can draw: it is the fixed starting point Y0.
"""

from __future__ import annotations

import numpy as np

N = 3


def _jnp():
    import jax.numpy as jnp

    return jnp


def _vec(values) -> object:
    return _jnp().asarray(np.asarray(values, np.float32))


Y0 = [0.5, -0.3, 0.8]
ARGS0 = [0.2, 0.1, -0.4]


def y0():
    return _vec(Y0)


def y_eval():
    """A second point (a proposed iterate, a previous gradient...)."""
    return _vec([0.4, -0.1, 0.6])


def y_diff():
    return _vec([-0.1, 0.2, -0.2])


def args0():
    return _vec(ARGS0)


def none():
    return None


def no_tags():
    return frozenset()


def mask():
    """A boolean mask of Y0's structure, with both values."""
    return _jnp().asarray([True, False, True])


def bounds_lower():
    return _vec([-1.0, -1.0, -1.0])


def bounds_upper():
    return _vec([1.0, 1.0, 1.0])


def successful():
    import optimistix as optx

    return optx.RESULTS.successful


def max_norm():
    import optimistix as optx

    return optx.max_norm


# ---------------------------------------------------------------- problems
# fn(y, args) -> (out, aux), with aux None


_W = np.asarray([1.0, 2.0, 0.5], np.float32)
_A = np.asarray([[2.0, 0.3, 0.0], [0.1, 1.5, 0.2], [0.0, -0.4, 1.0]], np.float32)


def _minimise_fn(y, args):
    jnp = _jnp()
    return jnp.sum(_W * (y - args) ** 2) + 0.1 * jnp.sum(y**4), None


def _least_squares_fn(y, args):
    return _jnp().asarray(_A) @ y - args + 0.1 * y**3, None


def _root_fn(y, args):
    return y + 0.5 * _jnp().tanh(y) - args, None


def _fixed_point_fn(y, args):
    return 0.5 * _jnp().cos(y) + 0.1 * args, None


def _scalar_root_fn(y, args):
    jnp = _jnp()
    return y + jnp.tanh(y) - jnp.mean(args), None


def _scalar_minimise_fn(y, args):
    jnp = _jnp()
    return (y - jnp.mean(args)) ** 2 + 0.1 * y**4, None


def minimise_fn():
    return _minimise_fn


def least_squares_fn():
    return _least_squares_fn


def root_fn():
    return _root_fn


def fixed_point_fn():
    return _fixed_point_fn


def scalar_root_fn():
    return _scalar_root_fn


def scalar_minimise_fn():
    return _scalar_minimise_fn


def _bare(fn):
    return lambda y, args: fn(y, args)[0]


def minimise_fn_bare():
    """For minimise/least_squares/root_find/fixed_point (has_aux=False)."""
    return _bare(_minimise_fn)


def least_squares_fn_bare():
    return _bare(_least_squares_fn)


def root_fn_bare():
    return _bare(_root_fn)


def fixed_point_fn_bare():
    return _bare(_fixed_point_fn)


def scalar_struct():
    import jax

    return jax.ShapeDtypeStruct((), np.float32)


def vector_struct():
    import jax

    return jax.ShapeDtypeStruct((N,), np.float32)


def interval():
    """Bisection and GoldenSearch search an interval given in options: a wide
    one, so that it holds the root or minimum for any drawn `args` (Bisection's
    init refuses an interval without a root)."""
    return {"lower": -1e3, "upper": 1e3}


# ---------------------------------------------------------------- solvers

TOL = dict(rtol=1e-4, atol=1e-4)


def bisection():
    import optimistix as optx

    return optx.Bisection(**TOL)


def golden():
    import optimistix as optx

    return optx.GoldenSearch(**TOL)


def fixed_point_iteration():
    import optimistix as optx

    return optx.FixedPointIteration(**TOL)


def nelder_mead():
    import optimistix as optx

    return optx.NelderMead(**TOL)


def newton():
    import optimistix as optx

    return optx.Newton(**TOL)


def optax_minimiser():
    import optax
    import optimistix as optx

    return optx.OptaxMinimiser(optax.adam(1e-2), **TOL)


def gauss_newton():
    import optimistix as optx

    return optx.GaussNewton(**TOL)


def gradient_descent():
    import optimistix as optx

    return optx.GradientDescent(learning_rate=0.1, **TOL)


def bfgs():
    import optimistix as optx

    return optx.BFGS(**TOL)


def dfp():
    import optimistix as optx

    return optx.DFP(**TOL)


def lbfgs():
    import optimistix as optx

    return optx.LBFGS(**TOL)


def best_so_far_minimiser():
    import optimistix as optx

    return optx.BestSoFarMinimiser(bfgs())


def best_so_far_least_squares():
    import optimistix as optx

    return optx.BestSoFarLeastSquares(gauss_newton())


def best_so_far_root_finder():
    import optimistix as optx

    return optx.BestSoFarRootFinder(newton())


def best_so_far_fixed_point():
    import optimistix as optx

    return optx.BestSoFarFixedPoint(fixed_point_iteration())


def nonlinear_cg_descent():
    import optimistix as optx

    return optx.NonlinearCGDescent(method=optx.polak_ribiere)


def linear_solver():
    import lineax as lx

    return lx.AutoLinearSolver(well_posed=None)


def hessian_operator(sizes=None):
    """A symmetric positive definite operator on Y0's structure."""
    import lineax as lx

    return lx.MatrixLinearOperator(
        _jnp().asarray(_A @ _A.T + np.eye(N, dtype=np.float32)),
        (lx.symmetric_tag, lx.positive_semidefinite_tag),
    )


# ---------------------------------------------------------------- solver states
# solver.init(fn, y0, args, options, f_struct, aux_struct, tags), as the
# iterative loop calls it


def _state(solver, fn, y, f_struct, options=None):
    return solver.init(fn, y, args0(), options or {}, f_struct, None, frozenset())


def bisection_state():
    return _state(bisection(), _scalar_root_fn, _jnp().asarray(0.0), scalar_struct(), interval())


def golden_state():
    return _state(golden(), _scalar_minimise_fn, _jnp().asarray(0.0), scalar_struct(), interval())


def fixed_point_state():
    return _state(fixed_point_iteration(), _fixed_point_fn, y0(), vector_struct())


def nelder_mead_state():
    return _state(nelder_mead(), _minimise_fn, y0(), scalar_struct())


def newton_state():
    return _state(newton(), _root_fn, y0(), vector_struct())


def optax_state():
    return _state(optax_minimiser(), _minimise_fn, y0(), scalar_struct())


def gauss_newton_state():
    return _state(gauss_newton(), _least_squares_fn, y0(), vector_struct())


def gradient_descent_state():
    return _state(gradient_descent(), _minimise_fn, y0(), scalar_struct())


def bfgs_state():
    return _state(bfgs(), _minimise_fn, y0(), scalar_struct())


def best_so_far_state():
    return _state(best_so_far_minimiser(), _minimise_fn, y0(), scalar_struct())


# ---------------------------------------------------------------- function information
# what a solver evaluates at y (FunctionInfo.*), for the descents and searches


def _grad(y):
    import jax

    return jax.grad(lambda z: _minimise_fn(z, args0())[0])(y)


def eval_grad_hessian():
    import optimistix as optx

    y = y0()
    return optx.FunctionInfo.EvalGradHessian(
        _minimise_fn(y, args0())[0], _grad(y), hessian_operator()
    )


def eval_grad_hessian_struct():
    import equinox as eqx

    return eqx.filter_eval_shape(eval_grad_hessian)


def eval_grad_at_y_eval():
    import optimistix as optx

    y = y_eval()
    return optx.FunctionInfo.EvalGrad(_minimise_fn(y, args0())[0], _grad(y))


def grad():
    return _grad(y0())


def grad_prev():
    return _grad(y_eval())


def _hessian_pair(solver):
    y = y0()
    return solver.init_hessian(y, _minimise_fn(y, args0())[0], _grad(y))


def bfgs_hessian():
    return _hessian_pair(bfgs())[0]


def dfp_hessian():
    return _hessian_pair(dfp())[0]


def lbfgs_hessian():
    return _hessian_pair(lbfgs())[0]


def lbfgs_update_state():
    return _hessian_pair(lbfgs())[1]


def lbfgs_hessian_update_state():
    """The state of L-BFGS keeping the Hessian (use_inverse=False)."""
    import optimistix as optx

    y = y0()
    return optx.LBFGS(use_inverse=False, **TOL).init_hessian(
        y, _minimise_fn(y, args0())[0], _grad(y)
    )[1]


def _descent_states(descent):
    s = descent.init(y0(), eval_grad_hessian_struct())
    return s, descent.query(y0(), eval_grad_hessian(), s)


def _descent(name):
    import optimistix as optx

    return nonlinear_cg_descent() if name == "NonlinearCGDescent" else getattr(optx, name)()


def _init_state(name):
    return lambda: _descent_states(_descent(name))[0]


def _queried_state(name):
    return lambda: _descent_states(_descent(name))[1]


dogleg_init_state = _init_state("DoglegDescent")
dogleg_queried_state = _queried_state("DoglegDescent")
newton_descent_init_state = _init_state("NewtonDescent")
newton_descent_queried_state = _queried_state("NewtonDescent")
steepest_init_state = _init_state("SteepestDescent")
steepest_queried_state = _queried_state("SteepestDescent")
damped_init_state = _init_state("DampedNewtonDescent")
damped_queried_state = _queried_state("DampedNewtonDescent")
indirect_damped_init_state = _init_state("IndirectDampedNewtonDescent")
indirect_damped_queried_state = _queried_state("IndirectDampedNewtonDescent")
nonlinear_cg_init_state = _init_state("NonlinearCGDescent")
nonlinear_cg_queried_state = _queried_state("NonlinearCGDescent")


def armijo_state():
    import optimistix as optx

    return optx.BacktrackingArmijo().init(y0(), eval_grad_hessian_struct())


def trust_region_state():
    import optimistix as optx

    return optx.ClassicalTrustRegion().init(y0(), eval_grad_hessian_struct())


# ---------------------------------------------------------------- odds and ends


def nm_stats():
    from optimistix._solver.nelder_mead import _NMStats

    z = _jnp().asarray(0)
    return _NMStats(z, z, z, z, z)


def expansion_carry():
    from optimistix._solver.bisection import _ExpansionCarry

    return _ExpansionCarry(_jnp().asarray(-1.0), _jnp().asarray(1.0))


def to_minimise_fn():
    from optimistix._least_squares import _ToMinimiseFn

    return _ToMinimiseFn(_least_squares_fn)


def damped():
    from optimistix._solver.levenberg_marquardt import _Damped

    return _Damped(hessian_operator(), _jnp().asarray(0.5))


def intercepts():
    """Where the steepest-descent path y - t grad meets the box [-1, 1]."""
    import jax.numpy as jnp

    y, g = y0(), _grad(y0())
    t = jnp.where(g > 0, (y - bounds_lower()) / g, (y - bounds_upper()) / g)
    return jnp.where(g == 0, jnp.inf, t)


# implicit_jvp: the root of y -> 2 y - inputs, and that residual
def _fn_primal(inputs):
    return inputs / 2, None


def _fn_rewrite(root, residual, inputs):
    return 2 * root - inputs


def fn_primal():
    return _fn_primal


def fn_rewrite():
    return _fn_rewrite


def minimise_rewrite_fn():
    """The rewrite function `minimise` passes to `iterative_solve`."""
    from optimistix._minimise import _rewrite_fn

    return _rewrite_fn


def implicit_adjoint():
    import optimistix as optx

    return optx.ImplicitAdjoint()


def scalar(value: float):
    return lambda: _jnp().asarray(value, _jnp().float32)


interval_lower = scalar(-1.0)
interval_upper = scalar(1.0)
interval_lower_val = scalar(float(-1.0 + np.tanh(-1.0) - np.mean(ARGS0)))
interval_upper_val = scalar(float(1.0 + np.tanh(1.0) - np.mean(ARGS0)))


def true():
    return _jnp().asarray(True)
