"""`shapely-nn annotate` and `sn.record`: annotations written from a run.

The round trips strip the hand-written annotations of the bundled examples and
of a NumPy module, run a driver at two size configurations, write the inferred
annotations, and compare them with the hand-written ones up to a renaming of
the axes (the same dimensions share a name), then `shapely-nn check` the result.
"""

from __future__ import annotations

import ast
import io
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import shapely_nn as sn
from shapely_nn import _annotate_write, _infer_names
from shapely_nn._cli import main

from ._strip import strip

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

EXAMPLES_DRIVER = '''
"""Calls each example model at two size configurations, jitted."""
import jax
import jax.numpy as jnp
import numpy as np

from ex import attention, autoencoder, classifier, gnn, mlp, quickstart, rnn

rng = np.random.default_rng(0)


def normal(*shape):
    return jnp.asarray(rng.normal(size=shape), jnp.float32)


for b, t, f, u, k, h, latent, m, nh, hd in [
    (5, 9, 3, 11, 7, 13, 2, 8, 2, 3),
    (6, 4, 2, 9, 3, 7, 5, 10, 3, 5),
]:
    x, y = normal(b, f), jnp.asarray(rng.integers(0, k, size=b))
    p = mlp.MLPParams(normal(f, u), normal(u), normal(u, k), normal(k))
    jax.jit(mlp.loss)(p, x, y)
    jax.jit(mlp.predict)(p, x)
    enc = autoencoder.Encoder(normal(f, u), normal(u), normal(u, latent))
    dec = autoencoder.Decoder(normal(latent, u), normal(u), normal(u, f))
    jax.jit(autoencoder.loss)(autoencoder.AEParams(enc, dec), x)
    gp = gnn.GCNParams(normal(f, u), normal(f, u), normal(u, k))
    jax.jit(gnn.loss)(gp, jnp.abs(normal(b, b)), normal(b, f), y)
    xs = normal(b, t, f)
    rp = rnn.RNNParams(normal(f, h), normal(h, h), normal(h), normal(h, f))
    jax.jit(rnn.loss)(rp, xs)
    qp = quickstart.RNNParams(normal(f, h), normal(h, h), normal(h))
    jax.jit(quickstart.rnn)(qp, jnp.zeros((b, h)), xs)
    ln = attention.LayerNorm(normal(m), normal(m))
    ap = attention.BlockParams(
        ln, normal(m, nh, hd), normal(m, nh, hd), normal(m, nh, hd), normal(nh, hd, m),
        ln, normal(m, u), normal(u, m),
    )
    jax.jit(attention.loss)(ap, normal(b, t, m))
    gru = classifier.GRUParams(
        *(normal(f, h) for _ in range(3)), *(normal(h, h) for _ in range(3)),
        *(normal(h) for _ in range(6)),
    )
    jax.jit(classifier.classify)(classifier.ClassifierParams(gru, normal(h, k), normal(k)), xs)
'''


# ------------------------------------------------------------ partitions


def _slots(path: Path) -> tuple[dict, dict]:
    """({function: {slot: dims}}, {class: {field: dims}}) of a module's
    jaxtyping annotations, and each function's structure parameters."""
    info = _infer_names.parse_source(path.read_text())
    classes = {}
    for name, node in info.classes.items():
        fields = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                dims = _infer_names.dims_of(stmt.annotation, {})
                ann = ast.unparse(stmt.annotation)
                fields[stmt.target.id] = dims if dims is not None else ann
        classes[name] = fields
    functions = {}
    for name, node in info.functions.items():
        slots = {}
        for a in [*node.args.args, *node.args.kwonlyargs]:
            dims = _infer_names.dims_of(a.annotation, {})
            if dims is not None:
                slots[a.arg] = dims
            elif a.annotation is not None and ast.unparse(a.annotation) in classes:
                slots[a.arg] = ast.unparse(a.annotation)
        ret = node.returns
        if ret is not None and isinstance(ret, ast.Subscript) and ast.unparse(ret.value) == "tuple":
            for i, item in enumerate(ret.slice.elts):  # type: ignore[attr-defined]
                slots[f"return.{i}"] = _infer_names.dims_of(item, {})
        elif _infer_names.dims_of(ret, {}) is not None:
            slots["return"] = _infer_names.dims_of(ret, {})
        functions[name] = slots
    return functions, classes


def _partition(slots: dict, classes: dict, only: set | None = None) -> set:
    """The dimension positions of one function's scope grouped by axis name
    (a fixed size or an expression counts as its own label)."""
    groups: dict[str, set] = {}

    def add(where: str, dims: list[str]) -> None:
        for i, d in enumerate(dims):
            if only is None or (where, i) in only:
                groups.setdefault(d, set()).add((where, i))

    def structure(cls: str, prefix: str, depth: int = 0) -> None:
        for field, dims in classes.get(cls, {}).items():
            if isinstance(dims, list):
                add(f"{cls}.{field}", dims)
            elif dims in classes and depth < 3:
                structure(dims, prefix, depth + 1)

    for name, dims in slots.items():
        if isinstance(dims, list):
            add(name, dims)
        elif isinstance(dims, str):
            structure(dims, name)
    return {frozenset(g) for g in groups.values()}


def _positions(partition: set) -> set:
    return {p for g in partition for p in g}


def assert_equivalent(hand: Path, inferred: Path) -> int:
    """Every annotated function of `hand` has an inferred annotation with the
    same dimensions sharing a name; the number of functions compared."""
    hf, hc = _slots(hand)
    inf, ic = _slots(inferred)
    compared = 0
    for name, slots in hf.items():
        if not slots:
            continue
        want = _partition(slots, hc)
        got = _partition(inf.get(name, {}), ic, _positions(want))
        assert got == want, f"{inferred.name}: {name}: {got} != {want}"
        compared += 1
    return compared


def _strip_copy(src: Path, dst: Path) -> None:
    dst.write_text(strip(src.read_text()))


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------ round trips


def test_examples_round_trip(tmp_path, monkeypatch):
    """Done-when: the bundled examples, stripped, annotated from a run at two
    sizes, equal the hand-written annotations up to renaming; check passes."""
    src = ROOT / "shapely_nn" / "examples"
    names = ["__init__", "axes", "attention", "autoencoder", "classifier", "gnn", "mlp"]
    names += ["quickstart", "rnn"]
    (tmp_path / "ex").mkdir()
    for name in names:
        _strip_copy(src / f"{name}.py", tmp_path / "ex" / f"{name}.py")
    assert '"batch feature"' not in (tmp_path / "ex" / "mlp.py").read_text()
    (tmp_path / "drive.py").write_text(EXAMPLES_DRIVER)
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli("annotate", "ex", "--write", "--", sys.executable, "drive.py")
    assert code == 0, err + out
    compared = sum(
        assert_equivalent(src / f"{n}.py", tmp_path / "ex" / f"{n}.py") for n in names[2:]
    )
    assert compared == 26  # 25 annotated functions and the classifier's nested step
    assert "0 failed" not in err and "failed" not in err.splitlines()[-1], err
    assert "passed every property" in err
    # idempotent: the written module gives an empty diff
    code, out, err = _cli("annotate", "ex", "--", sys.executable, "drive.py")
    assert code == 0 and out == "", out


def test_numpy_module_round_trip(tmp_path, monkeypatch):
    src = FIXTURES / "annotate_np"
    _strip_copy(src / "npmodel.py", tmp_path / "npmodel.py")
    shutil.copy(src / "drive.py", tmp_path / "drive.py")
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli("annotate", "npmodel.py", "--", "python", "drive.py")
    assert code == 0, err
    assert out.startswith("--- a/npmodel.py\n+++ b/npmodel.py\n")
    assert '"batch+1 inp"' in out and '"2*batch inp"' in out  # relations, named by the docstring
    assert "np.ndarray" in out and "Array" not in out
    code, _, err = _cli("annotate", "npmodel.py", "--write", "--", "python", "drive.py")
    assert code == 0, err
    assert assert_equivalent(src / "npmodel.py", tmp_path / "npmodel.py") == 6
    assert "annotated 7; shapely-nn check ran on 6 of them" in err
    assert "6 passed every property" in err
    text = (tmp_path / "npmodel.py").read_text()
    assert "# zero mean, unit variance per column" in text
    assert text.count("from jaxtyping import") == 1
    code, out, _ = _cli("annotate", "npmodel.py", "--", "python", "drive.py")
    assert (code, out) == (0, "")  # a second run changes nothing


# ------------------------------------------------------------ the Python API


@pytest.fixture
def module(tmp_path, request):
    """Write a module to tmp_path; forgotten (sys.modules) afterwards."""
    names = []

    def make(source: str) -> Path:
        name = f"annotate_{request.node.name.replace('[', '_').replace(']', '')}_{len(names)}"
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source).lstrip())
        names.append(name)
        return path

    yield make
    for name in names:
        sys.modules.pop(name, None)


def _record(path: Path, run) -> sn.Recording:
    with sn.record(str(path)) as rec:
        run(sys.modules[path.stem])
    return rec


NP_HEADER = """
import numpy as np
"""


def test_record_api_annotations_diff_and_report(module):
    import numpy as np

    path = module(
        NP_HEADER
        + '''
        def scale(x, factor: float = 2.0):
            """x [n, d] times a factor."""
            return x * factor


        def unused(x):
            return x
        '''.replace("\n        ", "\n")
    )
    rec = _record(path, lambda m: [m.scale(np.ones((n, d))) for n, d in [(2, 3), (5, 4)]])
    key = f"{path.stem}.scale"
    assert rec.annotations() == {
        key: {"x": 'Float[np.ndarray, "n d"]', "return": 'Float[np.ndarray, "n d"]'}
    }
    assert rec.called() == [key]
    diff = rec.diff()
    assert '+def scale(x: Float[np.ndarray, "n d"], factor: float = 2.0) -> Float[' in diff
    assert "+from jaxtyping import Float\n" in diff
    report = rec.report()
    assert f"not annotated, never called during the run: {path.stem}.unused" in report
    assert rec.write() == [str(path)]
    assert rec.diff() == ""  # idempotent


def test_existing_annotations_kept_unless_overwrite(module):
    import numpy as np

    path = module(
        """
        import numpy as np
        from jaxtyping import Float


        def f(x: Float[np.ndarray, "rows cols"], y):  # a comment that stays
            return x + y
        """
    )
    rec = _record(path, lambda m: [m.f(np.ones((n, 2)), np.ones((n, 2))) for n in (3, 4)])
    diff = rec.diff()
    assert '+    x: Float[np.ndarray, "rows cols"],\n+    y: Float[np.ndarray, "rows 2"],\n' in diff
    assert "# a comment that stays" in diff
    assert "rows cols" in rec.report() or "kept the existing" in rec.report()
    over = rec.diff(overwrite=True)
    assert '"rows 2"' in over and '"rows cols"' not in over.split("+def")[1]


def test_fixed_size_only_when_others_varied_and_cannot_tell_from_one_call(module):
    import numpy as np

    path = module(NP_HEADER + "\n\ndef rgb(img):\n    return img.mean(-1)\n")
    rec = _record(path, lambda m: m.rgb(np.ones((4, 5, 3))))
    assert rec.annotations()[f"{path.stem}.rgb"]["img"] == 'Float[np.ndarray, "img_0 img_1 img_2"]'
    assert "the run cannot tell fixed sizes from coincidences" in rec.report()
    assert "Run a second configuration" in rec.report()
    rec = _record(path, lambda m: [m.rgb(np.ones((h, w, 3))) for h, w in [(4, 5), (6, 2)]])
    ann = rec.annotations()[f"{path.stem}.rgb"]
    assert ann["img"].endswith(' 3"]') and ann["return"] == 'Float[np.ndarray, "img_0 img_1"]'
    assert "cannot tell" not in rec.report()


def test_disagreeing_calls_get_the_looser_annotation_and_a_note(module):
    import numpy as np

    path = module(NP_HEADER + "\n\ndef add(a, b):\n    return a[:, None] + b[None, :]\n")
    sizes = [(3, 3), (4, 4), (5, 2)]  # equal twice, then not
    rec = _record(path, lambda m: [m.add(np.ones(n), np.ones(k)) for n, k in sizes])
    ann = rec.annotations()[f"{path.stem}.add"]
    assert ann["a"] == 'Float[np.ndarray, " a_0"]' and ann["b"] == 'Float[np.ndarray, " b_0"]'
    assert (
        "a.shape[0] and b.shape[0] were equal in 2 of 3 recorded calls that saw both"
        in rec.report()
    )


def test_varying_rank_becomes_a_variadic_axis(module):
    import numpy as np

    path = module(
        NP_HEADER + "\n\ndef norm(x):\n    n_feature = x.shape[-1]\n    return x / n_feature\n"
    )
    shapes = [(3,), (2, 3), (4, 5, 2)]
    rec = _record(path, lambda m: [m.norm(np.ones(s)) for s in shapes])
    ann = rec.annotations()[f"{path.stem}.norm"]
    assert ann["x"] == 'Float[np.ndarray, "*x_batch n_feature"]'
    assert ann["return"] == 'Float[np.ndarray, "*x_batch n_feature"]'


def test_parameter_structures_and_jax_transforms(module):
    """A NamedTuple's fields are annotated, sharing names with the function;
    under jax.vmap the function sees (and is annotated with) one example."""
    import jax
    import jax.numpy as jnp

    path = module(
        '''
        from typing import NamedTuple

        import jax
        import jax.numpy as jnp


        class Dense(NamedTuple):
            w: jax.Array
            b: jax.Array


        def apply(p: Dense, x):
            """x [feature] to [units]"""
            return jnp.tanh(x @ p.w + p.b)
        '''
    )

    def run(m):
        for f, u in [(3, 5), (4, 2)]:
            p = m.Dense(jnp.ones((f, u)), jnp.zeros(u))
            jax.vmap(m.apply, in_axes=(None, 0))(p, jnp.ones((7, f)))
            jax.jit(m.apply)(p, jnp.ones(f))

    rec = _record(path, run)
    ann = rec.annotations()
    assert ann[f"{path.stem}.apply"] == {
        "p": "Dense",
        "x": 'Float[Array, " feature"]',
        "return": 'Float[Array, " units"]',
    }
    assert ann[f"{path.stem}.Dense"] == {
        "w": 'Float[Array, "feature units"]',
        "b": 'Float[Array, " units"]',
    }
    diff = rec.diff()
    assert "-    w: jax.Array\n" in diff and '+    w: Float[Array, "feature units"]\n' in diff
    assert "+from jaxtyping import Array, Float\n" in diff


def test_a_call_that_raises_is_not_recorded(module):
    import numpy as np

    path = module(NP_HEADER + "\n\ndef first(x):\n    return x[0]\n")

    def run(m):
        m.first(np.ones((3, 2)))
        m.first(np.ones((5, 4)))
        with pytest.raises(IndexError):
            m.first(np.ones((0, 7)))

    rec = _record(path, run)
    assert rec.annotations()[f"{path.stem}.first"]["x"] == 'Float[np.ndarray, "x_0 x_1"]'


# ------------------------------------------------------------ bad input


def test_bad_input_is_refused_clearly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "fails.py").write_text(
        "import m\nimport numpy as np\nm.f(np.ones(3))\nraise SystemExit(3)\n"
    )
    code, _, err = _cli("annotate", "m.py", "python", "fails.py")
    assert code == 2 and "put '--' between TARGET and the command" in err
    code, _, err = _cli("annotate", "m.py", "--")
    assert code == 2 and "no COMMAND after '--'" in err
    code, _, err = _cli("annotate", "no_such_module_xyz", "--", "python", "fails.py")
    assert code == 2 and "no module named 'no_such_module_xyz'" in err
    code, _, err = _cli("annotate", "m.py", "--", "ls", "-l")
    assert code == 2 and "records Python code only" in err
    code, out, err = _cli("annotate", "m.py", "--", "python", "fails.py")
    assert code == 0 and "the command exited with status 3" in err
    assert '+def f(x: Float[np.ndarray, " x_0"]) -> Float[np.ndarray, " x_0"]:' in out
    (tmp_path / "idle.py").write_text("import m\n")
    code, _, err = _cli("annotate", "m.py", "--", "python", "idle.py")
    assert code == 1 and "no function of m.py was called" in err


def test_without_libcst_the_command_says_what_to_install(tmp_path, monkeypatch):
    def missing():
        raise _annotate_write.MissingLibcst(
            "writing annotations needs libcst: pip install 'shapely_nn[annotate]'"
        )

    monkeypatch.setattr(_annotate_write, "_cst", missing)
    code, _, err = _cli("annotate", "m.py", "--", "python", "x.py")
    assert code == 2 and "pip install 'shapely_nn[annotate]'" in err


def test_importing_shapely_nn_does_not_import_libcst():
    import subprocess

    code = "import sys, shapely_nn; print('libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("runner", [["python", "-m", "pytest"], ["pytest"]], ids=["-m", "entry"])
def test_a_test_suite_as_the_command(tmp_path, monkeypatch, runner):
    """`python -m pytest tests/` and the `pytest` entry point both run, their
    exit (SystemExit) handled, the calls made by the tests recorded."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "geo.py").write_text(
        "def area(boxes):\n"
        '    """boxes [n, 4]: x0, y0, x1, y1"""\n'
        "    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])\n"
    )
    (tmp_path / "test_geo.py").write_text(
        "import numpy as np\nimport geo\n\n\n"
        "def test_area():\n"
        "    for n in (2, 5):\n"
        "        assert geo.area(np.ones((n, 4))).shape == (n,)\n"
    )
    args = [*runner, "-q", "-p", "no:cacheprovider", "test_geo.py"]
    code, out, err = _cli("annotate", "geo.py", "--", *args)
    assert code == 0, err
    assert "1 passed" in err
    assert '+def area(boxes: Float[np.ndarray, "n 4"]) -> Float[np.ndarray, " n"]:' in out


# ------------------------------------------------------------ found on equinox.nn


def test_what_equinox_nn_taught(module):
    """Run on equinox's own layers (code nobody here wrote), annotate made four
    mistakes, each pinned here: it annotated `@overload` stubs instead of the
    implementation, took a dataclass field not yet set in `__init__` for None,
    dropped the author's `| None` from `Array | None` because the run never
    passed None, and left a long header with a bare `*` unwrapped."""
    import numpy as np

    path = module(
        """
        import dataclasses
        from typing import overload

        import numpy as np


        @dataclasses.dataclass
        class Affine:
            weight: np.ndarray
            bias: np.ndarray | None

            def __init__(self, n, m):
                self.weight = np.ones((n, m))
                self.bias = np.zeros(m)

            def apply(self, inputs_with_a_long_name, *, keyword_with_a_long_name=None):
                return inputs_with_a_long_name @ self.weight + self.bias


        @overload
        def double(x: int) -> int: ...
        @overload
        def double(x: np.ndarray) -> np.ndarray: ...
        def double(x):
            return 2 * x
        """
    )

    def run(m):
        for n, k, b in [(2, 3, 4), (5, 6, 7)]:
            m.Affine(n, k).apply(np.ones((b, n)))
            m.double(np.ones((b, n)))

    rec = _record(path, run)
    diff = rec.diff()
    assert (
        "+    weight: Float[np.ndarray," in diff
        and "| None" not in diff.split("weight:")[1].split("\n")[0]
    )
    assert "bias: Float" in diff and diff.split("bias: Float")[1].split("\n")[0].endswith("| None")
    # overload stubs untouched, the implementation annotated
    assert "-def double(x: int) -> int: ..." not in diff
    assert "+def double(x: Float[np.ndarray," in diff
    # a long header is wrapped one parameter a line, the bare `*` included
    assert "+    def apply(\n+        self,\n" in diff and "+        *,\n" in diff


# ------------------------------------------------------------ found by a user trial


def test_windowed_code_gets_its_relation_and_a_shared_helper_joins_no_axes(module):
    """A valid convolution's length is t-width+1 in every call: written as such
    where the arguments bind t and width, and a note gives the sizes= relation
    where they do not. A helper called on two unrelated things (softmax on
    scores and on logits) does not join their axes."""
    import numpy as np

    path = module(
        """
        from typing import NamedTuple

        import numpy as np


        def softmax(x):
            e = np.exp(x - x.max(-1, keepdims=True))
            return e / e.sum(-1, keepdims=True)


        def conv(x, kernel):
            width, t = kernel.shape[0], x.shape[0]
            windows = np.stack([x[i : t - width + 1 + i] for i in range(width)], axis=1)
            return np.einsum("twc,wcd->td", windows, kernel)


        def model(x, kernel, targets):
            scores = softmax(x @ x.T)
            logits = softmax(conv(scores @ x, kernel))
            return logits[np.arange(len(targets)), targets]


        class P(NamedTuple):
            kernel: np.ndarray


        def model_p(p, x, targets):
            return model(x, p.kernel, targets)
        """
    )

    def run(m):
        for t, c, width, d in [(7, 3, 3, 5), (9, 4, 2, 4), (6, 2, 4, 3)]:
            x, kernel = np.ones((t, c)), np.ones((width, c, d))
            m.model_p(m.P(kernel), x, np.zeros(t - width + 1, dtype=int))

    rec = _record(path, run)
    ann = rec.annotations()
    conv = ann[f"{path.stem}.conv"]
    t_axis = conv["x"].split('"')[1].split()[0]
    width_axis = conv["kernel"].split('"')[1].split()[0]
    assert conv["return"].split('"')[1].split()[0] == f"{t_axis}-{width_axis}+1", conv
    targets = ann[f"{path.stem}.model"]["targets"]
    assert f'" {t_axis}-{width_axis}+1"' in targets, targets
    # softmax keeps axes of its own: it is called on (t, t) and (t-width+1, d)
    soft = ann[f"{path.stem}.softmax"]["x"].split('"')[1].split()
    assert len(set(soft)) == 2, soft
    # in model_p, width is bound only by a field of p: a note gives the relation
    assert "sizes={" in rec.report() and f"-{width_axis}+1'}}" in rec.report(), rec.report()


def test_an_existing_annotation_the_run_contradicts_is_reported(module):
    """Kept (annotate never overwrites without being asked), but reported: an
    annotation jaxtyping never enforced may be wrong."""
    import numpy as np

    path = module(
        """
        import numpy as np
        from jaxtyping import Float, Int


        def xent(logits: Float[np.ndarray, "klass batch"], labels: Int[np.ndarray, " batch"]):
            return -logits[np.arange(len(labels)), labels].mean()


        def fine(x: Float[np.ndarray, "batch 3"]):
            return x.sum()
        """
    )

    def run(m):
        for b, k in [(2, 5), (4, 3)]:
            m.xent(np.ones((b, k)), np.zeros(b, dtype=int))
            m.fine(np.ones((b, 3)))

    report = _record(path, run).report()
    assert "the run contradicts these existing annotations" in report
    assert (
        f"{path.stem}.xent: labels.shape[0] was 2 and logits.shape[1] was 5, but both are "
        "annotated 'batch'"
    ) in report
    assert f"{path.stem}.fine:" not in report
