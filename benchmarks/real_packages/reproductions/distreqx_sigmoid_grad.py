# distreqx 0.0.3: the Sigmoid bijector's gradient is NaN past x = 88 in float32 (no shapely_nn)
import jax
import jax.numpy as jnp
from distreqx.bijectors import Sigmoid

x = jnp.asarray([1.0, 50.0, 100.0])
print(jax.grad(lambda x: Sigmoid().forward(x).sum())(x))  # [0.197 0. nan]
with jax.enable_x64(True):
    print(jax.grad(lambda x: Sigmoid().forward(x).sum())(x.astype(jnp.float64)))
