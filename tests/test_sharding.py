"""Checked functions on sharded arrays: 8 simulated CPU devices, in a subprocess
(the device count is fixed when jax starts)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    from jaxtyping import Array, Float
    import shapely_nn as sn

    assert jax.device_count() == 8, jax.devices()
    mesh = Mesh(np.array(jax.devices()).reshape(4, 2), ("data", "model"))

    # under jit, annotations describe global shapes
    @sn.shaped
    def dense(x: Float[Array, "batch feature"], w: Float[Array, "feature hidden"]) -> Float[Array, "batch hidden"]:
        return x @ w

    x = jax.device_put(jnp.ones((16, 6)), NamedSharding(mesh, P("data", None)))
    w = jax.device_put(jnp.ones((6, 4)), NamedSharding(mesh, P(None, "model")))
    out = jax.jit(dense)(x, w)
    assert out.shape == (16, 4) and len(out.sharding.device_set) == 8
    try:
        jax.jit(dense)(x, jnp.ones((5, 4)))
    except sn.ShapeError as e:
        assert "feature=6 was bound by x.shape[1], but w.shape[0] is 5" in " ".join(str(e).split())
    else:
        raise SystemExit("global-shape mismatch not caught")

    # inside shard_map, annotations describe per-shard shapes
    try:
        from jax import shard_map
    except ImportError:  # jax < 0.7
        from jax.experimental.shard_map import shard_map

    @sn.shaped
    def local(x: Float[Array, "local_batch feature"]) -> Float[Array, "local_batch feature"]:
        assert x.shape[0] == 4  # 16 rows over 4 data shards
        return x * 2

    y = jax.jit(shard_map(local, mesh=mesh, in_specs=P("data", None), out_specs=P("data", None)))(x)
    assert y.shape == (16, 6)

    # under pmap, one example per device
    @sn.shaped
    def per_device(v: Float[Array, " feature"]) -> Float[Array, ""]:
        return v.sum()

    s = jax.pmap(per_device)(jnp.ones((8, 6)))
    assert s.shape == (8,)
    try:
        jax.pmap(lambda v: per_device(v[None]))(jnp.ones((8, 6)))
    except sn.ShapeError:
        pass
    else:
        raise SystemExit("per-device shape mismatch not caught")
    print("OK")
    """
)


def test_sharded_arrays_shard_map_and_pmap():
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu"
    )
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stdout + r.stderr
