# additive kernel decomposition (gpjax 1.0.0): one training point, no shapely_nn
import gpjax as gpx
import jax.numpy as jnp
from gpjax.kernels.additive.decompose import _solve_alpha

kernel = gpx.kernels.OrthogonalAdditiveKernel(
    [gpx.kernels.RBF(active_dims=[0]), gpx.kernels.RBF(active_dims=[1])], max_order=1
)
x, y = jnp.ones((2, 2)), jnp.ones((2, 1))
print(_solve_alpha(kernel, x, y, 0.1)[0].shape)  # N = 2: (2,)
try:
    _solve_alpha(kernel, x[:1], y[:1], 0.1)  # N = 1: y_train.squeeze() is 0-d
except Exception as e:
    print(type(e).__name__, str(e)[:120])
