# gpjax 1.0.0: predict accepts integer test inputs (Int[Array, "N D"]) but hands
# them to the kernel computation annotated Float[Array, "M D"]; jaxtyping's own
# import hook with beartype (no shapely_nn) rejects the call
from jaxtyping import install_import_hook

with install_import_hook("gpjax", "beartype.beartype"):
    import gpjax as gpx
import jax.numpy as jnp

x = jnp.linspace(0, 1, 8).reshape(-1, 1)
data = gpx.Dataset(X=x, y=jnp.sin(x))
prior = gpx.gps.Prior(mean_function=gpx.mean_functions.Zero(), kernel=gpx.kernels.RBF())
posterior = prior * gpx.likelihoods.Gaussian()
q = gpx.variational_families.VariationalGaussian(posterior, x[:4])
print(q.predict(jnp.asarray([[0.5]])).mean.shape)  # float test inputs: fine
try:
    q.predict(jnp.asarray([[1], [2]]))  # integer test inputs, as annotated
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0][:300])
