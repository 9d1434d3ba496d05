"""Factories that benchmarks/real_packages/diffrax.toml names: the terms,
solvers, controllers, paths and states diffrax's functions take, which nothing
can draw from an annotation, built the way a diffrax user builds them.

Everything here works on one state: y, a vector of DIM floats, evolving under
the autonomous linear decay dy/dt = -y (plus, for SDEs, a diagonal noise driven
by a Brownian motion of the same shape). Being autonomous, the solvers' first
states (solver.init) do not depend on t0, which the check draws."""

from __future__ import annotations

DIM = 3


def _jnp():
    import jax.numpy as jnp

    return jnp


def none():
    """An argument passed as None (TOML has no None): `args` of a term that
    takes none."""
    return None


def key():
    import jax.random as jr

    return jr.key(0)


def y0():
    return _jnp().array([1.0, -0.5, 0.25])


def _vf(t, y, args):
    return -y


def ode_term():
    import diffrax

    return diffrax.ODETerm(_vf)


def brownian():
    import diffrax
    import jax
    import jax.random as jr

    return diffrax.VirtualBrownianTree(
        -10.0, 10.0, tol=1e-3, shape=jax.ShapeDtypeStruct((DIM,), "float32"), key=jr.key(0)
    )


def brownian_spacetime():
    """Brownian motion that also gives the space-time Lévy area (the SRK and
    Langevin solvers need it)."""
    import diffrax
    import jax
    import jax.random as jr

    return diffrax.VirtualBrownianTree(
        -10.0,
        10.0,
        tol=1e-3,
        shape=jax.ShapeDtypeStruct((DIM,), "float32"),
        key=jr.key(0),
        levy_area=diffrax.SpaceTimeLevyArea,
    )


def sde_terms():
    """drift + diagonal diffusion, as the SDE solvers take them."""
    import diffrax
    import lineax as lx

    diffusion = diffrax.ControlTerm(
        lambda t, y, args: lx.DiagonalLinearOperator(0.1 * y), brownian()
    )
    return diffrax.MultiTerm(ode_term(), diffusion)


def unsafe_brownian():
    import diffrax
    import jax
    import jax.random as jr

    return diffrax.UnsafeBrownianPath(shape=jax.ShapeDtypeStruct((DIM,), "float32"), key=jr.key(0))


def tsit5():
    import diffrax

    return diffrax.Tsit5()


def half_solver():
    import diffrax

    return diffrax.HalfSolver(diffrax.Tsit5())


def pid():
    import diffrax

    return diffrax.PIDController(rtol=1e-3, atol=1e-6)


def clip_controller():
    import diffrax

    return diffrax.ClipStepSizeController(pid(), step_ts=_jnp().array([0.25, 0.5]))


def very_chord():
    from diffrax._root_finder import VeryChord

    return VeryChord(rtol=1e-3, atol=1e-6)


def adjoint_term():
    from diffrax._term import AdjointTerm

    return AdjointTerm(ode_term())


def wrap_term():
    from diffrax._term import WrapTerm

    return WrapTerm(ode_term(), direction=1)


def results():
    import diffrax

    return diffrax.RESULTS.successful


def _ts():
    return _jnp().linspace(0.0, 1.0, 5)


def _ys():
    jnp = _jnp()
    return jnp.stack([jnp.exp(-_ts()) * c for c in (1.0, -0.5, 0.25)], axis=-1)


def linear_interpolation():
    import diffrax

    return diffrax.LinearInterpolation(ts=_ts(), ys=_ys())


def cubic_interpolation():
    import diffrax

    return diffrax.CubicInterpolation(_ts(), diffrax.backward_hermite_coefficients(_ts(), _ys()))


def _solution():
    import diffrax

    return diffrax.diffeqsolve(
        ode_term(),
        diffrax.Tsit5(),
        t0=0.0,
        t1=1.0,
        dt0=0.1,
        y0=y0(),
        saveat=diffrax.SaveAt(dense=True, t1=True),
    )


def solution():
    return _solution()


def dense_interpolation():
    return _solution().interpolation


def local_linear():
    from diffrax._local_interpolation import LocalLinearInterpolation

    return LocalLinearInterpolation(t0=0.0, t1=1.0, y0=y0(), y1=0.5 * y0())


def shark():
    import diffrax

    return diffrax.ShARK()


def sde_terms_spacetime():
    """drift + additive (constant) diagonal noise driven by a Brownian motion with
    space-time Lévy area: what ShARK requires."""
    import diffrax
    import lineax as lx

    diffusion = diffrax.ControlTerm(
        lambda t, y, args: lx.DiagonalLinearOperator(0.1 * _jnp().ones(DIM)),
        brownian_spacetime(),
    )
    return diffrax.MultiTerm(ode_term(), diffusion)


def _dense_info(solver, terms=None):
    if terms is None:
        terms = ode_term()
    # times as arrays, as diffeqsolve passes them (an implicit solver's
    # closure-converted root finding refuses a Python float)
    t0, t1 = _jnp().array(0.0), _jnp().array(0.1)
    state = solver.init(terms, t0, t1, y0(), None)
    *_, dense_info, _, _ = solver.step(terms, t0, t1, y0(), None, state, False)
    return dense_info


def _local(solver, terms=None):
    return solver.interpolation_cls(t0=0.0, t1=0.1, **_dense_info(solver, terms))


def tsit5_interpolation():
    import diffrax

    return _local(diffrax.Tsit5())


def dopri5_interpolation():
    """A concrete FourthOrderPolynomialInterpolation."""
    import diffrax

    return _local(diffrax.Dopri5())


def dopri8_interpolation():
    import diffrax

    return _local(diffrax.Dopri8())


def kencarp_interpolation():
    """KenCarp3's: an IMEX solver, of an explicit and an implicit term (here
    each half the decay), its root finder with tolerances of its own."""
    import diffrax
    import optimistix as optx

    explicit = diffrax.ODETerm(lambda t, y, args: -0.5 * y)
    implicit = diffrax.ODETerm(lambda t, y, args: -0.5 * y)  # (a distinct object)
    solver = diffrax.KenCarp3(root_finder=optx.Chord(rtol=1e-5, atol=1e-5))
    return _local(solver, diffrax.MultiTerm(explicit, implicit))


def hermite_interpolation():
    from diffrax._local_interpolation import ThirdOrderHermitePolynomialInterpolation

    y = y0()
    return ThirdOrderHermitePolynomialInterpolation(
        t0=0.0, t1=0.1, y0=y, y1=0.9 * y, k0=-y, k1=-0.9 * y
    )


def y_error():
    return 1e-4 * y0()


def tsit5_func():
    """`func` of the step-size controllers' init: the solver's vector field."""
    import diffrax

    return diffrax.Tsit5().func


def _controller_state(controller):
    import diffrax

    return controller.init(ode_term(), 0.0, 1.0, y0(), 0.1, None, diffrax.Tsit5().func, 5)[-1]


def pid_state():
    return _controller_state(pid())


def clip_state():
    return _controller_state(clip_controller())


def constant_state():
    import diffrax

    return _controller_state(diffrax.ConstantStepSize())


def _solver_state(solver, terms):
    return solver.init(terms, 0.0, 0.1, y0(), None)


def leapfrog_state():
    import diffrax

    return _solver_state(diffrax.LeapfrogMidpoint(), ode_term())


def reversible_heun_state():
    import diffrax

    return _solver_state(diffrax.ReversibleHeun(), ode_term())


def half_solver_state():
    return _solver_state(half_solver(), ode_term())


def semi_implicit_terms():
    """SemiImplicitEuler's two terms, for a state (y, v): dy = v dt, dv = -y dt."""
    import diffrax

    return (diffrax.ODETerm(lambda t, v, args: v), diffrax.ODETerm(lambda t, y, args: -y))


def semi_implicit_y0():
    return (y0(), 0.5 * y0())


def step_ts():
    """Increasing times, as ClipStepSizeController's step_ts / jump_ts."""
    return _jnp().array([0.0, 0.25, 0.5, 0.75, 1.0])


def adjoint_y():
    """AdjointTerm's y: (y, a_y, a_args, a_terms), the state and its cotangents
    (args is None, and the term has no array parameters)."""
    import equinox as eqx
    import jax

    a_terms = jax.tree_util.tree_map(
        lambda x: _jnp().zeros_like(x), eqx.filter(ode_term(), eqx.is_inexact_array)
    )
    return (y0(), 0.5 * y0(), None, a_terms)


def step_to():
    import diffrax

    return diffrax.StepTo(ts=step_ts())


def tsit5_state():
    return _solver_state(tsit5(), ode_term())


def rms_norm():
    """`norm` of the step-size selection: diffrax's default."""
    import optimistix as optx

    return optx.rms_norm


def adjoint_vf():
    """What AdjointTerm.prod takes: the output of AdjointTerm.vf."""
    return adjoint_term().vf(_jnp().array(0.5), adjoint_y(), None)


def text_meter_state():
    """A TextProgressMeter's state: it names a bar the host-side manager opened
    in init, so it must come from init (a drawn meter_idx names no bar, or
    another meter's)."""
    import diffrax

    return diffrax.TextProgressMeter().init()


def tqdm_meter_state():
    import diffrax

    return diffrax.TqdmProgressMeter().init()


def implicit_euler():
    """ImplicitEuler with its root finder's tolerances given: the default root
    finder borrows them from the step-size controller, which diffeqsolve fills
    in; a step called on its own has none (optimistix then fails with
    "Type of `other` not understood")."""
    import diffrax
    import optimistix as optx

    return diffrax.ImplicitEuler(root_finder=optx.Chord(rtol=1e-5, atol=1e-5))


def text_bar():
    """The host-side bar of a TextProgressMeter: what its _init_bar makes."""
    import diffrax

    return diffrax.TextProgressMeter._init_bar()


def tqdm_bar():
    import diffrax

    return diffrax.TqdmProgressMeter._init_bar()


def empty_options():
    """`options` of an optimistix root finder: none."""
    return {}


def no_tags():
    return frozenset()


def root_fn():
    """A root-finding problem f(y) = 0, elementwise so that it fits any y, with
    no auxiliary output: (f(y), aux), as optimistix passes fn to a solver."""
    return lambda y, args: (y + 0.1 * y**3 - 0.5, None)


def very_chord_state():
    """VeryChord's state for root_fn from the problem's y0: what init returns."""
    return very_chord().init(root_fn(), y0(), None, {}, None, None, frozenset())


def optx_results():
    import optimistix as optx

    return optx.RESULTS.successful


def tree():
    """A pytree to split a key over: the adjoint state's structure."""
    return adjoint_y()


def langevin_terms():
    """Underdamped Langevin dynamics for the potential f(x) = |x|^2 / 2 in
    R^DIM (grad_f(x) = x), friction gamma = 1, u = 1: the drift and diffusion
    terms the Foster Langevin solvers (ALIGN, ShOULD, QUICSORT) take; the
    Brownian motion has space-time Lévy area, as they require."""
    import diffrax

    gamma, u = 1.0, 1.0
    drift = diffrax.UnderdampedLangevinDriftTerm(gamma, u, lambda x, args: x)
    diffusion = diffrax.UnderdampedLangevinDiffusionTerm(gamma, u, brownian_spacetime())
    return diffrax.MultiTerm(drift, diffusion)


def langevin_y0():
    """(position x, velocity v)."""
    return (y0(), 0.5 * y0())


def align():
    import diffrax

    return diffrax.ALIGN(0.1)


def langevin_state():
    """ALIGN's state for langevin_terms and langevin_y0: what init returns."""
    t0, t1 = _jnp().array(0.0), _jnp().array(0.1)
    return align().init(langevin_terms(), t0, t1, langevin_y0(), None)


def langevin_taylor_coeffs():
    """ALIGN's Taylor coefficients for langevin_terms (one leaf per leaf of x),
    as its state carries them."""
    return langevin_state().taylor_coeffs


def langevin_gamma():
    """langevin_terms' friction, broadcast to x's structure as the solvers do."""
    return _jnp().ones(DIM)
