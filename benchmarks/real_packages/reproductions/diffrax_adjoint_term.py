# diffrax 0.7.2: AdjointTerm.is_vf_expensive admits python floats, then calls .size (no shapely_nn)
import diffrax
import jax.numpy as jnp
from diffrax._term import AdjointTerm

term = AdjointTerm(diffrax.ODETerm(lambda t, y, args: -y))
y = jnp.ones(3)
print(term.is_vf_expensive(jnp.asarray(0.0), jnp.asarray(1.0), (y, y, y, y), None))  # arrays: fine
try:
    term.is_vf_expensive(0.0, 1.0, (y, y, y, y), None)  # RealScalarLike admits floats
except Exception as e:
    print(type(e).__name__, e)
