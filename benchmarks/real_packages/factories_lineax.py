"""Factories `lineax.toml` names: the linear operators, solvers and solver
states lineax's functions take, which no annotation describes (a solver's state
is whatever its `init` returned; `PackedStructures` is a `NewType`, so no class
factory can serve it).

The solver methods take `vector: PyTree[Array]`, which shapely_nn draws as a
float32 vector of 3 (a bare pytree has no shape to read). The states below are
therefore those of operators acting on float32 vectors of size 3, built the way
lineax builds them: `solver.init(operator, options)`.
"""

from __future__ import annotations

import numpy as np

N = 3  # the size of the vector shapely_nn draws for a bare `PyTree[Array]`


def _spd(n: int = N, seed: int = 0) -> np.ndarray:
    """A well-conditioned symmetric positive definite float32 matrix."""
    a = np.random.default_rng(seed).standard_normal((n, n))
    return (a @ a.T / n + np.eye(n)).astype(np.float32)


def operator(sizes: dict | None = None):
    """Any `AbstractLinearOperator` argument: a symmetric positive definite
    matrix (so every solver, CG included, accepts it), tagged as such. Sized by
    the axis `size` where the function names it (`diagonal(operator) -> "size"`)."""
    import jax.numpy as jnp
    import lineax as lx

    n = (sizes or {}).get("size", N)
    return lx.MatrixLinearOperator(
        jnp.asarray(_spd(n)), (lx.symmetric_tag, lx.positive_semidefinite_tag)
    )


# ---------------------------------------------------------------- solvers
# (the iterative ones have required tolerances; Normal wraps an inner solver)


def cg():
    import lineax as lx

    return lx.CG(rtol=1e-5, atol=1e-5)


def bicgstab():
    import lineax as lx

    return lx.BiCGStab(rtol=1e-5, atol=1e-5)


def gmres():
    import lineax as lx

    return lx.GMRES(rtol=1e-5, atol=1e-5)


def lsmr():
    import lineax as lx

    return lx.LSMR(rtol=1e-5, atol=1e-5)


def normal():
    import lineax as lx

    return lx.Normal(lx.Cholesky())


def auto():
    import lineax as lx

    return lx.AutoLinearSolver(well_posed=True)


# ---------------------------------------------------------------- states
# (each from the solver's own `init`, for an operator that suits that solver)


def _init(solver, op):
    return solver.init(op, {})


def _matrix(seed: int):
    """A well-conditioned float32 jax matrix (operators keep what they are
    given: a numpy matrix would stay one in the state, which is annotated Array)."""
    import jax.numpy as jnp

    rng = np.random.default_rng(seed)
    return jnp.asarray((rng.standard_normal((N, N)) + 3 * np.eye(N)).astype(np.float32))


def lu_state():
    import lineax as lx

    m = _matrix(1)
    return _init(lx.LU(), lx.MatrixLinearOperator(m))


def qr_state():
    import lineax as lx

    m = _matrix(2)
    return _init(lx.QR(), lx.MatrixLinearOperator(m))


def svd_state():
    import lineax as lx

    m = _matrix(3)
    return _init(lx.SVD(), lx.MatrixLinearOperator(m))


def cholesky_state():
    import lineax as lx

    return _init(lx.Cholesky(), operator())


def cg_state():
    return _init(cg(), operator())


def diagonal_state():
    import jax.numpy as jnp
    import lineax as lx

    return _init(lx.Diagonal(), lx.DiagonalLinearOperator(jnp.asarray([1.5, 2.0, 3.0])))


def triangular_state():
    import jax.numpy as jnp
    import lineax as lx

    m = jnp.asarray(np.tril(_spd()))
    return _init(lx.Triangular(), lx.MatrixLinearOperator(m, lx.lower_triangular_tag))


def tridiagonal_state():
    import jax.numpy as jnp
    import lineax as lx

    op = lx.TridiagonalLinearOperator(
        jnp.asarray([4.0, 5.0, 6.0]), jnp.asarray([1.0, 0.5]), jnp.asarray([0.5, 1.0])
    )
    return _init(lx.Tridiagonal(), op)


def normal_state():
    """Normal solves the normal equations of a possibly non-square operator: a
    tall 3 x 2 one here (the vector is its output, of size 3)."""
    import jax.numpy as jnp
    import lineax as lx

    m = jnp.asarray(np.random.default_rng(4).standard_normal((N, 2)), jnp.float32)
    return _init(normal(), lx.MatrixLinearOperator(m))


def auto_state():
    import lineax as lx

    m = _matrix(5)
    return _init(auto(), lx.MatrixLinearOperator(m))


# ---------------------------------------------------------------- misc


def packed_structures():
    """What `pack_structures` gives for an operator on float32 vectors of 3."""
    from lineax._solver.misc import pack_structures

    return pack_structures(operator())


def shape_dtype_structs():
    import jax
    import jax.numpy as jnp

    return {"a": jax.ShapeDtypeStruct((N,), jnp.float32), "b": jax.ShapeDtypeStruct((), jnp.int32)}


def root_keypath():
    """The key path of the root: the whole pytree when it is a single leaf (a
    `jtu.KeyPath` is a tuple, which a TOML value cannot be)."""
    return ()


def vector():
    """A float32 vector of 3, for a `vector` argument left unannotated."""
    import jax.numpy as jnp

    return jnp.asarray([1.0, -2.0, 0.5], jnp.float32)
