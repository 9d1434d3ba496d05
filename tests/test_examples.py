"""The bundled examples: generated tests over each module, and a few training
steps that lower each loss on its synthetic data."""

from __future__ import annotations

import jax
import pytest

import shapely_nn as sn
from shapely_nn.examples import attention, autoencoder, gnn, mlp, rnn

test_mlp = sn.testing.generate_tests(mlp)
test_rnn = sn.testing.generate_tests(rnn)
test_gnn = sn.testing.generate_tests(gnn)
test_attention = sn.testing.generate_tests(attention)
test_autoencoder = sn.testing.generate_tests(autoencoder)

KEY = jax.random.key(0)


def test_mlp_trains():
    p = sn.testing.init(mlp.MLPParams, {"feature": 4, "units": 16, "klass": 3}, KEY)
    x, y = mlp.synthetic_data(jax.random.key(1))
    sn.testing.assert_loss_decreases(mlp.loss, p, x, y, steps=30, learning_rate=3e-2)


def test_rnn_trains():
    p = sn.testing.init(rnn.RNNParams, {"feature": 2, "hidden": 12}, KEY)
    xs = rnn.synthetic_data(jax.random.key(1))
    sn.testing.assert_loss_decreases(rnn.loss, p, xs, steps=30, learning_rate=2e-2)


def test_gnn_trains():
    p = sn.testing.init(gnn.GCNParams, {"feature": 3, "units": 8, "klass": 2}, KEY)
    adj, h, y = gnn.synthetic_data(jax.random.key(1))
    sn.testing.assert_loss_decreases(gnn.loss, p, adj, h, y, steps=30, learning_rate=3e-2)


def test_attention_trains():
    p = attention.init_params(KEY)
    x = attention.synthetic_data(jax.random.key(1))
    sn.testing.assert_loss_decreases(attention.loss, p, x, steps=30, learning_rate=1e-2)


def test_autoencoder_trains():
    sizes = {"feature": 6, "units": 16, "latent": 2}
    p = sn.testing.init(autoencoder.AEParams, sizes, KEY)
    x = autoencoder.synthetic_data(jax.random.key(1))
    sn.testing.assert_loss_decreases(autoencoder.loss, p, x, steps=30, learning_rate=2e-2)


@pytest.mark.parametrize(
    "module", [mlp, rnn, gnn, attention, autoencoder], ids=lambda m: m.__name__
)
def test_examples_run_under_jit(module):
    fn = module.loss
    args, kwargs = sn.testing.dummy_args(fn, {}, KEY)
    eager = fn(*args, **kwargs)
    jitted = jax.jit(fn)(*args, **kwargs)
    assert abs(float(eager) - float(jitted)) <= 1e-4 * max(1.0, abs(float(eager)))
