"""`sn.testing.parity`: a re-implementation against the PyTorch model it
re-implements. Four kinds of module (an MLP, a convolution, a recurrent layer,
attention) and the bundled GRU classifier: each agrees when right (outputs and
gradients), and each seeded bug of the kind that type-checks and passes every
property is caught, located in axis terms, and traced to the first intermediate
that diverges."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn

torch = pytest.importorskip("torch")

from shapely_nn._cli import main  # noqa: E402
from shapely_nn.examples import classifier as C  # noqa: E402
from tests.fixtures import parity_models as M  # noqa: E402

CASES = {
    "mlp": (M.mlp_reference, M.mlp, M.mlp_tanh_gelu, "mlp_hidden_tanh_gelu", "1"),
    "conv": (M.conv_reference, M.conv, M.conv_flipped, "conv1d_flipped", "conv"),
    "lstm": (M.lstm_reference, M.lstm, M.lstm_swapped, "lstm_layer_swapped", "lstm"),
    "attention": (
        M.attention_reference,
        M.block,
        M.block_wo_transposed,
        "attend_wo_transposed",
        "attn",
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_a_faithful_re_implementation_agrees_in_outputs_and_gradients(kind):
    make, good, _, _, _ = CASES[kind]
    report = sn.testing.parity(make(), good, grads=True)
    assert report.ok, report
    assert report.outputs and all(d.ok for d in report.outputs)
    # one gradient per float input and one per weight field
    assert len(report.gradients) == 1 + len(report.weights)
    assert report.agreed, report  # the sub-function matched its submodule
    assert report.first_divergence is None


@pytest.mark.parametrize("kind", list(CASES))
def test_a_seeded_bug_is_caught_and_traced_to_the_first_diverging_intermediate(kind):
    make, _, bad, sub_function, submodule = CASES[kind]
    report = sn.testing.parity(make(), bad)
    assert not report.ok
    out = report.outputs[0]
    assert not out.ok and out.max_abs > out.atol
    d = report.first_divergence
    assert d is not None, report
    assert (d.impl, d.reference) == (sub_function, submodule)
    text = str(report)
    assert "DIFFER" in text and f"first intermediate that diverges: {sub_function}" in text
    # the worst element is named by its axes
    assert "batch=" in out.where()


def test_the_weights_are_mapped_by_pytorch_conventions():
    report = sn.testing.parity(M.attention_reference(), M.block)
    got = {w.field: (w.source, w.layout) for w in report.weights}
    assert got["wq"][0] == "attn.in_proj_weight[query]"
    assert got["wv"][0] == "attn.in_proj_weight[value]"
    assert got["bk"][0] == "attn.in_proj_bias[key]"
    # a square Linear weight: transposed by the layer's convention, not by its shape
    assert got["wo"] == ("attn.out_proj.weight", "transposed (Linear: x @ W.T)")
    assert got["norm_gain"][0] == "norm.weight" and got["norm_shift"][0] == "norm.bias"
    lstm = {w.field: w.source for w in sn.testing.parity(M.lstm_reference(), M.lstm).weights}
    assert lstm["lstm.w_hg"] == "lstm.weight_hh_l0[cell]"
    assert lstm["lstm.b_if"] == "lstm.bias_ih_l0[forget]"
    conv = {w.field: w.layout for w in sn.testing.parity(M.conv_reference(), M.conv).weights}
    assert conv["w"] == "as stored (out, in, *spatial)"


# ------------------------------------------------------------ the bundled example


def test_the_bundled_classifier_agrees_with_its_pytorch_model():
    report = sn.testing.assert_parity(C.reference(), C.classify, grads=True)
    assert ("encode", "gru") in report.agreed
    assert report.sizes["feature"] == 3 and report.sizes["hidden"] == 5  # read from the weights
    assert len({report.sizes[a] for a in ("batch", "time", "feature", "hidden")}) == 4


def _with_cell(monkeypatch, cell):
    monkeypatch.setattr(C, "gru_cell", cell)


@sn.shaped
def _cell_w_hr_transposed(
    p: C.GRUParams, h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]
) -> Float[Array, "batch hidden"]:
    r = jax.nn.sigmoid(x @ p.w_ir + p.b_ir + h @ p.w_hr.T + p.b_hr)  # the seeded bug
    z = jax.nn.sigmoid(x @ p.w_iz + p.b_iz + h @ p.w_hz + p.b_hz)
    n = jnp.tanh(x @ p.w_in + p.b_in + r * (h @ p.w_hn + p.b_hn))
    return (1 - z) * n + z * h


@sn.shaped
def _cell_gates_swapped(
    p: C.GRUParams, h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]
) -> Float[Array, "batch hidden"]:
    z = jax.nn.sigmoid(x @ p.w_ir + p.b_ir + h @ p.w_hr + p.b_hr)  # the seeded bug: r and z
    r = jax.nn.sigmoid(x @ p.w_iz + p.b_iz + h @ p.w_hz + p.b_hz)
    n = jnp.tanh(x @ p.w_in + p.b_in + r * (h @ p.w_hn + p.b_hn))
    return (1 - z) * n + z * h


@pytest.mark.parametrize(("cell", "onset"), [(_cell_w_hr_transposed, 1), (_cell_gates_swapped, 0)])
def test_the_bundled_classifier_catches_a_transposed_square_weight_and_swapped_gates(
    monkeypatch, cell, onset
):
    # both pass sn.testing.check: the shapes are right, only the numbers are not
    monkeypatch.setattr(C, "gru_cell", cell)
    report = sn.testing.parity(C.reference(), C.classify)
    assert not report.ok
    assert report.first_divergence is not None
    assert (report.first_divergence.impl, report.first_divergence.reference) == ("encode", "gru")
    # where along time it starts: the recurrent weight plays no part at step 0
    assert report.first_divergence.difference.onset == {"time": onset}
    assert f"first differs at time={onset}" in str(report)
    with pytest.raises(AssertionError, match="first intermediate that diverges: encode"):
        sn.testing.assert_parity(C.reference(), C.classify)


def test_a_jitted_re_implementation_is_compared_too():
    report = sn.testing.parity(C.reference(), jax.jit(C.classify))
    assert report.ok, report
    assert ("encode", "gru") in report.agreed  # jit is off while parity runs it


def test_the_users_module_is_left_as_it_was():
    model = C.reference()
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    sn.testing.parity(model, C.classify, grads=True)
    assert model.training and all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    assert not model.gru._forward_hooks and not model.head._forward_hooks
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# ------------------------------------------------------------ weight_map and its errors


class _Pair(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.first = torch.nn.Linear(4, 4)
        self.second = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.second(torch.tanh(self.first(x)))


class PairParams(NamedTuple):
    a: Float[Array, "feature feature"]
    c: Float[Array, "feature feature"]
    a_bias: Float[Array, " feature"]
    c_bias: Float[Array, " feature"]


@sn.shaped
def pair(p: PairParams, x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    return jnp.tanh(x @ p.a + p.a_bias) @ p.c + p.c_bias


def test_fields_the_names_cannot_place_are_an_error_listing_the_candidates():
    with pytest.raises(sn.testing.ParityError) as e:
        sn.testing.parity(_Pair(), pair)
    text = str(e.value)
    assert "cannot tell which reference weight" in text
    assert "first.weight" in text and "second.weight" in text
    assert "weight_map=" in text


def test_weight_map_places_them_by_key_or_by_function():
    ok = sn.testing.parity(
        _Pair(),
        pair,
        weight_map={
            "a": "first.weight",  # a key is taken as stored: (out, in)
            "c": lambda sd: sd["second.weight"].T,
            "a_bias": "first.bias",
            "c_bias": "second.bias",
        },
    )
    # "a" taken as stored is the transpose of what x @ a needs: parity says so
    assert not ok.ok
    right = sn.testing.parity(
        _Pair(),
        pair,
        weight_map={
            "a": lambda sd: sd["first.weight"].T,
            "c": lambda sd: sd["second.weight"].T,
            "a_bias": "first.bias",
            "c_bias": "second.bias",
        },
        grads=True,
    )
    assert right.ok, right


@pytest.mark.parametrize(
    ("weight_map", "message"),
    [
        ({"nope": "first.weight"}, "'nope', which is not an array field"),
        ({"a": "first.wieght"}, "did you mean 'first.weight'"),
        ({"a": "first.bias"}, "gives shape (4,), but the field is annotated"),
        ({"a": 3}, "must be a state-dict key or a function"),
    ],
)
def test_a_bad_weight_map_says_what_is_wrong(weight_map, message):
    with pytest.raises(
        sn.testing.ParityError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        sn.testing.parity(_Pair(), pair, weight_map=weight_map)


class WideParams(NamedTuple):
    w: Float[Array, "feature units"]
    wide: Float[Array, "units units units"]


@sn.shaped
def wide(p: WideParams, x: Float[Array, "batch feature"]) -> Float[Array, "batch units"]:
    return x @ p.w


def test_a_field_no_weight_fits_is_an_error():
    model = torch.nn.Linear(3, 5)
    with pytest.raises(sn.testing.ParityError, match="no reference weight fits the field 'wide'"):
        sn.testing.parity(model, wide)


# ------------------------------------------------------------ other references, bad input


@sn.shaped
def softmax_rows(x: Float[Array, "batch klass"]) -> Float[Array, "batch klass"]:
    return jax.nn.softmax(x, axis=-1)


@sn.shaped
def softmax_columns(x: Float[Array, "batch klass"]) -> Float[Array, "batch klass"]:
    return jax.nn.softmax(x, axis=0)  # the wrong axis: same shape


def _numpy_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_a_numpy_function_is_a_reference_too():
    assert sn.testing.parity(_numpy_softmax, softmax_rows).ok
    report = sn.testing.parity(_numpy_softmax, softmax_columns)
    assert not report.ok and report.outputs[0].axes == ("batch", "klass")


def test_params_can_be_given():
    model = C.reference()
    built = sn.testing.parity(model, C.classify)
    params = sn.testing.init(C.ClassifierParams, {"feature": 3, "hidden": 5, "klass": 2}, 0)
    report = sn.testing.parity(model, C.classify, params=params)
    assert not report.ok  # other weights than the model's
    assert built.ok


def test_bad_input_gets_a_clear_error():
    with pytest.raises(sn.testing.ParityError, match=r"reference must be a torch\.nn\.Module"):
        sn.testing.parity(42, C.classify)
    with pytest.raises(sn.testing.ParityError, match=r"needs a torch\.nn\.Module reference"):
        sn.testing.parity(_numpy_softmax, softmax_rows, grads=True)

    def unannotated(x):
        return x

    with pytest.raises(sn.testing.ParityError, match="no jaxtyping array annotations"):
        sn.testing.parity(_numpy_softmax, unannotated)
    with pytest.raises(sn.testing.ParityError, match="pass params="):
        sn.testing.parity(_numpy_softmax, C.classify)
    with pytest.raises(sn.testing.ParityError, match="weight_map= is for an impl"):
        sn.testing.parity(_numpy_softmax, softmax_rows, weight_map={"a": "b"})
    with pytest.raises(sn.testing.ParityError, match="returns 1 array"):
        sn.testing.parity(lambda x: (x, x), softmax_rows)


# ------------------------------------------------------------ the command line


def test_the_command_line_prints_the_report_and_exits_1_on_divergence(capsys):
    ref = "shapely_nn.examples.classifier:reference"
    assert main(["parity", ref, "shapely_nn.examples.classifier:classify"]) == 0
    assert "parity of classify with GRUClassifier (torch): agree" in capsys.readouterr().out
    bad = "tests.fixtures.parity_models"
    assert main(["parity", f"{bad}:mlp_reference", f"{bad}:mlp_tanh_gelu"]) == 1
    out = capsys.readouterr().out
    assert "DIFFER" in out and "first intermediate that diverges: mlp_hidden_tanh_gelu" in out
    assert main(["parity", ref, "shapely_nn.examples.classifier:nothing"]) == 2
    assert "cannot import" in capsys.readouterr().err


# ------------------------------------------------------------ code nobody here wrote


def _eqx_gru_cell():
    import equinox as eqx

    torch.manual_seed(6)
    ref = torch.nn.GRUCell(3, 5)
    sd = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    # equinox folds the hidden-side biases of r and z into one bias, and keeps
    # the new gate's hidden bias apart (bias_n): its own parametrization
    bias = sd["bias_ih"] + np.concatenate([sd["bias_hh"][:10], np.zeros(5, np.float32)])
    cell = eqx.tree_at(
        lambda m: (m.weight_ih, m.weight_hh, m.bias, m.bias_n),
        eqx.nn.GRUCell(3, 5, key=jax.random.key(0)),
        tuple(jnp.asarray(a) for a in (sd["weight_ih"], sd["weight_hh"], bias, sd["bias_hh"][10:])),
    )

    def gru(
        m: eqx.nn.GRUCell, x: Float[Array, "batch feature"], h: Float[Array, "batch hidden"]
    ) -> Float[Array, "batch hidden"]:
        return jax.vmap(m)(x, h)

    return ref, gru, cell, {"feature": 3, "hidden": 5}


class _SelfAttention(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(7)
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=False)[0]


def _eqx_attention():
    import equinox as eqx

    ref = _SelfAttention()
    sd = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    w, b = sd["attn.in_proj_weight"], sd["attn.in_proj_bias"]
    biased = dict.fromkeys(("use_query_bias", "use_key_bias", "use_value_bias"), True)
    layer = eqx.nn.MultiheadAttention(2, 8, use_output_bias=True, **biased, key=jax.random.key(0))
    layer = eqx.tree_at(
        lambda m: (
            *(getattr(m, f"{n}_proj").weight for n in ("query", "key", "value", "output")),
            *(getattr(m, f"{n}_proj").bias for n in ("query", "key", "value", "output")),
        ),
        layer,
        tuple(
            map(
                jnp.asarray,
                (
                    w[:8],
                    w[8:16],
                    w[16:],
                    sd["attn.out_proj.weight"],
                    b[:8],
                    b[8:16],
                    b[16:],
                    sd["attn.out_proj.bias"],
                ),
            )
        ),
    )

    def attention(
        m: eqx.nn.MultiheadAttention, x: Float[Array, "batch seq model"]
    ) -> Float[Array, "batch seq model"]:
        return jax.vmap(lambda xb: m(xb, xb, xb))(x)

    return ref, attention, layer, {"model": 8}


@pytest.mark.parametrize("make", [_eqx_gru_cell, _eqx_attention], ids=["GRUCell", "attention"])
def test_equinox_layers_agree_with_pytorch_no_false_alarm(make):
    """equinox's own GRUCell and MultiheadAttention, with PyTorch's weights
    loaded by hand (params=): parity finds them equal, gradients included."""
    ref, fn, params, sizes = make()
    report = sn.testing.parity(ref, fn, params=params, sizes=sizes, grads=True)
    assert report.ok, report
    assert report.gradients and all(d.ok for d in report.gradients)


# ------------------------------------------------------------ layouts and structures


class TorchLayoutParams(NamedTuple):
    w1: Float[Array, "units feature"]  # PyTorch's own (out, in) layout
    b1: Float[Array, " units"]
    w2: Float[Array, "klass units"]
    b2: Float[Array, " klass"]


def torch_layout_mlp(
    p: TorchLayoutParams, x: Float[Array, "batch feature"]
) -> Float[Array, "batch klass"]:
    return jnp.tanh(x @ p.w1.T + p.b1) @ p.w2.T + p.b2


def test_weights_kept_in_pytorchs_layout_are_taken_as_stored():
    torch.manual_seed(8)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    report = sn.testing.parity(ref, torch_layout_mlp)
    assert report.ok, report
    layouts = {w.field: w.layout for w in report.weights}
    assert layouts["w1"] == layouts["w2"] == "as stored (out, in)"


class ConvHWIO(eqx.Module):
    kernel: Float[Array, "kh kw channel_in channel_out"]  # spatial first, as in flax
    bias: Float[Array, " channel_out"]


def conv2d_hwio(
    p: ConvHWIO, x: Float[Array, "batch channel_in height width"]
) -> Float[Array, "batch channel_out height width"]:
    dn = ("NCHW", "HWIO", "NCHW")
    y = jax.lax.conv_general_dilated(x, p.kernel, (1, 1), "SAME", dimension_numbers=dn)
    return y + p.bias[:, None, None]


def test_an_equinox_parameter_module_with_a_spatial_first_kernel():
    torch.manual_seed(9)
    report = sn.testing.parity(torch.nn.Conv2d(2, 4, 3, padding=1), conv2d_hwio, grads=True)
    assert report.ok, report
    assert {w.field: w.layout for w in report.weights}["kernel"] == "(*spatial, in, out)"


class NoOutputBias(NamedTuple):
    w1: Float[Array, "feature units"]
    b1: Float[Array, " units"]
    w2: Float[Array, "units klass"]


def mlp_without_output_bias(
    p: NoOutputBias, x: Float[Array, "batch feature"]
) -> Float[Array, "batch klass"]:
    return jax.nn.gelu(x @ p.w1 + p.b1, approximate=False) @ p.w2


def test_a_forgotten_bias_is_listed_among_the_weights_no_field_takes():
    report = sn.testing.parity(M.mlp_reference(), mlp_without_output_bias)
    assert report.unused_weights == ["2.bias"]
    assert not report.ok
    assert "reference weights no field takes: 2.bias" in str(report)
    assert sn.testing.parity(M.mlp_reference(), M.mlp).unused_weights == []


def test_a_float64_numpy_reference_is_compared_at_float32_precision():
    def softmax64(x):
        return _numpy_softmax(np.asarray(x, np.float64))

    report = sn.testing.parity(softmax64, softmax_rows)
    assert report.ok, report
    assert report.outputs[0].rtol == 1e-5


def test_given_params_that_do_not_fit_their_annotation_are_an_error():
    params = sn.testing.init(C.ClassifierParams, {"feature": 3, "hidden": 5, "klass": 2}, 0)
    bad = params._replace(w_out=params.w_out.T)
    with pytest.raises(sn.testing.ParityError, match=r"params\.w_out has shape \(2, 5\)"):
        sn.testing.parity(C.reference(), C.classify, params=bad)


# ------------------------------------------------------------ found by a user trial


@dataclasses.dataclass
class DenseBN:  # a plain dataclass: not a jax pytree
    w: Float[Array, "feature units"]
    b: Float[Array, " units"]
    gamma: Float[Array, " units"]
    beta: Float[Array, " units"]
    running_mean: Float[Array, " units"]
    running_var: Float[Array, " units"]


def dense_bn(p: DenseBN, x: Float[Array, "batch feature"]) -> Float[Array, "batch units"]:
    h = x @ p.w + p.b
    return (h - p.running_mean) / jnp.sqrt(p.running_var + 1e-5) * p.gamma + p.beta


def test_batchnorm_buffers_and_plain_dataclass_parameters_with_gradients():
    """Two false alarms a user trial found: BatchNorm's running statistics
    (buffers, no gradient) were compared as gradients, and the fields of a plain
    dataclass (not a pytree) were not differentiated at all."""
    torch.manual_seed(10)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6))
    ref[1].running_mean.normal_()
    ref[1].running_var.uniform_(0.5, 2.0)
    report = sn.testing.parity(ref, dense_bn, grads=True)
    assert report.ok, report
    names = {d.name for d in report.gradients}
    assert "d/d w" in names and "d/d gamma" in names
    assert "d/d running_mean" not in names and "d/d running_var" not in names


class _ReluNet(torch.nn.Module):
    """relu between the layers is a function, not a module: no hook sees it."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(11)
        self.fc1 = torch.nn.Linear(4, 6)
        self.fc2 = torch.nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class ReluParams(NamedTuple):
    w1: Float[Array, "feature units"]
    b1: Float[Array, " units"]
    w2: Float[Array, "units klass"]
    b2: Float[Array, " klass"]


@sn.shaped
def relu_hidden(p: ReluParams, x: Float[Array, "batch feature"]) -> Float[Array, "batch units"]:
    return jax.nn.relu(x @ p.w1 + p.b1)


def relu_net(p: ReluParams, x: Float[Array, "batch feature"]) -> Float[Array, "batch klass"]:
    return relu_hidden(p, x) @ p.w2 + p.b2


def relu_net_bias_sign(
    p: ReluParams, x: Float[Array, "batch feature"]
) -> Float[Array, "batch klass"]:
    return relu_hidden(p, x) @ p.w2 - p.b2  # the bug is outside every sub-function


def test_a_sub_function_with_no_module_of_its_own_is_not_blamed():
    """relu(fc1(x)) has no module output to equal, but it is what fc2 was fed:
    it agrees. With the bug outside it, nothing is blamed and a note says so."""
    good = sn.testing.parity(_ReluNet(), relu_net)
    assert good.ok and good.first_divergence is None
    assert ("relu_hidden", "fc2 (input)") in good.agreed
    bad = sn.testing.parity(_ReluNet(), relu_net_bias_sign)
    assert not bad.ok and bad.first_divergence is None
    assert any("the difference arises outside them" in n for n in bad.notes)


class _CellLoop(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(12)
        self.cell = torch.nn.RNNCell(3, 4)

    def forward(self, x):
        h = torch.zeros(x.shape[0], 4)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return h


class CellParams(NamedTuple):
    w_ih: Float[Array, "feature hidden"]
    w_hh: Float[Array, "hidden hidden"]
    b_ih: Float[Array, " hidden"]
    b_hh: Float[Array, " hidden"]


@sn.shaped
def rnn_cell_t(
    p: CellParams, x: Float[Array, "batch feature"], h: Float[Array, "batch hidden"]
) -> Float[Array, "batch hidden"]:
    return jnp.tanh(x @ p.w_ih + p.b_ih + h @ p.w_hh.T + p.b_hh)  # the bug: w_hh.T


def rnn_loop_t(
    p: CellParams, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch hidden"]:
    h = jnp.zeros((x.shape[0], p.w_hh.shape[0]))
    for t in range(x.shape[1]):
        h = rnn_cell_t(p, x[:, t], h)
    return h


def test_a_cell_in_a_loop_is_paired_call_by_call():
    report = sn.testing.parity(_CellLoop(), rnn_loop_t)
    assert ("rnn_cell_t (call 1)", "cell (call 1)") in report.agreed  # h = 0: w_hh unused
    d = report.first_divergence
    assert d is not None and (d.impl, d.reference) == ("rnn_cell_t (call 2)", "cell (call 2)")
    assert d.same_inputs is True
    assert "both were fed the same inputs" in str(report)


def test_weight_map_takes_a_piece_by_the_name_reports_give_it():
    report = sn.testing.parity(
        C.reference(), C.classify, weight_map={"gru.w_hr": "gru.weight_hh_l0[reset]"}
    )
    assert report.ok, report
    assert {w.field: w.layout for w in report.weights}["gru.w_hr"].startswith("transposed")


def test_an_ambiguity_suggests_a_mapping_that_works_and_says_where_sizes_came_from():
    with pytest.raises(sn.testing.ParityError) as e:
        sn.testing.parity(_Pair(), pair)
    assert "for example weight_map={'a': 'first.weight'}" in str(e.value)
    with pytest.raises(sn.testing.ParityError, match=r"feature=4 from weight_map\['a'\]"):
        sn.testing.parity(_Pair(), wide_pair, weight_map={"a": "first.weight"})


class WidePair(NamedTuple):
    a: Float[Array, "feature feature"]
    wide: Float[Array, "feature feature feature"]


def wide_pair(p: WidePair, x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    return x @ p.a


def _only_three_rows(x: Float[Array, "batch klass"]) -> Float[Array, "batch klass"]:
    assert x.shape[0] == 3, "this model needs exactly three rows"
    return x


def test_more_bad_input_from_a_user_trial(capsys):
    with pytest.raises(sn.testing.ParityError, match="raised AssertionError on the drawn inputs"):
        sn.testing.parity(_numpy_softmax, _only_three_rows)
    assert sn.testing.parity(_numpy_softmax, softmax_rows, sizes={"batch": 3}).ok
    with pytest.raises(sn.testing.ParityError, match="the reference _numpy_softmax raised"):
        sn.testing.parity(_numpy_softmax, lambda_free_wrong_inputs)
    with pytest.raises(sn.testing.ParityError, match="not the class ClassifierParams"):
        sn.testing.parity(C.reference(), C.ClassifierParams)
    with pytest.raises(sn.testing.ParityError, match="rtol must be a number >= 0"):
        sn.testing.parity(_numpy_softmax, softmax_rows, rtol=-1)
    ref = "shapely_nn.examples.classifier:reference"
    assert main(["parity", "shapely_nn", "shapely_nn.examples.classifier:classify"]) == 2
    assert "is not an import path" in capsys.readouterr().err
    assert main(["parity", ref, "tests.test_parity:_only_three_rows"]) == 2
    assert "raised" in capsys.readouterr().err


def lambda_free_wrong_inputs(
    x: Float[Array, "batch klass"], y: Float[Array, "batch klass"]
) -> Float[Array, "batch klass"]:
    return x + y


class EqxDense(eqx.Module):
    """The equinox style: the parameters are the module, the forward pass a method."""

    weight: Float[Array, "feature units"]
    bias: Float[Array, " units"]

    def __call__(self, x: Float[Array, "batch feature"]) -> Float[Array, "batch units"]:
        return jnp.tanh(x @ self.weight + self.bias)


def test_an_unbound_method_takes_its_parameters_as_self():
    torch.manual_seed(13)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    report = sn.testing.parity(ref, EqxDense.__call__, grads=True)
    assert report.ok, report
    assert {w.field for w in report.weights} == {"weight", "bias"}
    assert {d.name for d in report.gradients} == {"d/d x", "d/d weight", "d/d bias"}
