# interpax 0.3.16: _build_system annotates d as "P *d_shape" but reads d.shape[1] (no shapely_nn)
import jax.numpy as jnp
from interpax._rbf import _build_system, _gaussian_kernel

y = jnp.linspace(0, 1, 6).reshape(3, 2)  # P=3 points in N=2 dims
d = jnp.ones(3)  # ' P *d_shape' with d_shape=(): fits
powers = jnp.asarray([[0, 0], [1, 0], [0, 1]])
try:
    _build_system(y, d, jnp.zeros(3), _gaussian_kernel, jnp.asarray(1.0), powers)
except Exception as e:
    print(type(e).__name__, e)
