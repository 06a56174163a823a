"""model: both backends load the shipped models and give the same probabilities; the light one
(litert) never imports TensorFlow; the CNN reads MNIST; user mistakes are one UserError."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from realtime.errors import UserError
from realtime.model import LITERT_CACHED_BATCH_SIZES, DigitModel, models_root, resolve_model_dir

REPO = Path(__file__).resolve().parent.parent
SHIPPED_MODELS = ("softmax", "softmax_plain", "cnn")
# The two runtimes sum in different orders (XNNPACK vs oneDNN/Eigen): at most 2e-6 apart over
# all 10,000 test digits (measured), so 1e-5 fails only on a real mismatch (a stale
# model.tflite, a wrong input layout).
PROBABILITY_TOLERANCE = 1e-5
BATCH_SIZES = (0, 1, 7, 1, 64, 7)  # repeats: a cached interpreter must serve again correctly
# The CNN tests 99.3% on all of MNIST's test set; on a 2,000-digit slice 99% leaves room for
# the slice being harder than average without letting a broken model through.
CNN_SLICE = 2000
MIN_CNN_ACCURACY = 0.99

needs_litert = pytest.mark.skipif(
    __import__("importlib").util.find_spec("ai_edge_litert") is None,
    reason="ai-edge-litert is not installed: pip install -e .[lite]")


def _shipped(name: str) -> Path:
    path = REPO / "models" / name
    if not (path / "saved_model.pb").exists() or not (path / "model.tflite").exists():
        pytest.fail(f"the shipped model {name} is incomplete at {path}: run "
                    f"`python train_export.py` (see the README's model section)")
    return path


def _inputs_for(model: DigitModel, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 MNIST digits as every model takes them: as they are (a model trained
    on deskewed digits deskews inside its graph)."""
    return images.astype(np.float32) / 255.0


# --- the two backends -------------------------------------------------------------------------

@needs_litert
@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_both_backends_give_the_same_probabilities(name, mnist_test):
    path = _shipped(name)
    heavy, light = DigitModel(path, backend="tensorflow"), DigitModel(path, backend="litert")
    assert (light.metadata, light.model_dir) == (heavy.metadata, heavy.model_dir)
    digits = _inputs_for(heavy, mnist_test[0][:max(BATCH_SIZES) + 10])
    start = 0
    for count in BATCH_SIZES:
        batch = digits[start:start + count]  # a different slice each time, not the same digits
        start += 1
        expected = heavy.predict(batch)
        got = light.predict(batch)
        assert got.shape == expected.shape == (count, 10)
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(got, expected, atol=PROBABILITY_TOLERANCE)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=PROBABILITY_TOLERANCE)
        # The flat layout gives the same answer as (N, 28, 28).
        np.testing.assert_array_equal(light.predict(batch.reshape(count, 784)), got)


@needs_litert
def test_litert_keeps_a_bounded_interpreter_per_batch_size(mnist_test):
    model = DigitModel("softmax", backend="litert")
    digits = _inputs_for(model, mnist_test[0][:40])
    expected = {count: model.predict(digits[:count]) for count in (1, 5)}
    for count in range(1, LITERT_CACHED_BATCH_SIZES + 10):
        assert model.predict(digits[:count]).shape == (count, 10)
    cached = model._predict._by_batch_size
    assert len(cached) == LITERT_CACHED_BATCH_SIZES
    assert 1 not in cached  # the least recently used went first
    for count, probabilities in expected.items():
        np.testing.assert_array_equal(model.predict(digits[:count]), probabilities)


@needs_litert
def test_litert_backend_never_imports_tensorflow():
    probe = ("import sys, numpy as np\n"
             "from realtime.model import DigitModel\n"
             "for name in ('softmax', 'cnn'):\n"
             "    model = DigitModel(name, backend='litert')\n"
             "    assert model.predict(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('tensorflow', 'keras', 'tf_keras')))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert result.stderr == ""  # XNNPACK's start-up notice is kept off the user's terminal


# --- user mistakes ----------------------------------------------------------------------------

@pytest.fixture
def saved_model_only(tmp_path) -> Path:
    """A copy of the shipped softmax folder as exported before model.tflite existed."""
    folder = tmp_path / "old_softmax"
    shutil.copytree(_shipped("softmax"), folder, ignore=shutil.ignore_patterns("model.tflite"))
    return folder


@needs_litert
def test_missing_tflite_says_how_to_add_it(saved_model_only):
    with pytest.raises(UserError, match=r"no model\.tflite.*--tflite-only"):
        DigitModel(saved_model_only, backend="litert")
    assert DigitModel(saved_model_only).predict(np.zeros((2, 784), np.float32)).shape == (2, 10)


@needs_litert
@pytest.mark.parametrize("content", [b"", b"not a flatbuffer" * 10], ids=["empty", "garbage"])
def test_broken_tflite_says_re_export(saved_model_only, content):
    (saved_model_only / "model.tflite").write_bytes(content)
    with pytest.raises(UserError, match=r"model\.tflite.*re-export"):
        DigitModel(saved_model_only, backend="litert")


@needs_litert
def test_tflite_of_another_shape_is_not_a_digit_model(saved_model_only):
    from realtime.model import import_tensorflow, native_stderr_silenced

    tf = import_tensorflow()
    doubled = tf.function(lambda x: 2 * x,
                          input_signature=[tf.TensorSpec([None, 10], tf.float32)])
    concrete = doubled.get_concrete_function()
    with native_stderr_silenced():
        content = tf.lite.TFLiteConverter.from_concrete_functions([concrete], doubled).convert()
    (saved_model_only / "model.tflite").write_bytes(content)
    with pytest.raises(UserError, match=r"not a digit model.*\[-1, 10\].*re-export"):
        DigitModel(saved_model_only, backend="litert")


def test_litert_not_installed_says_which_extra(monkeypatch):
    # A None entry makes `import ai_edge_litert` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(UserError, match=r"pip install -e \.\[lite\]"):
        DigitModel("softmax", backend="litert")


def test_unknown_backend_names_the_known_ones():
    with pytest.raises(UserError, match="tensorflow, litert"):
        DigitModel("softmax", backend="onnx")


# --- names and the CNN ------------------------------------------------------------------------

def test_model_names_resolve_under_models():
    assert resolve_model_dir("cnn") == models_root() / "cnn" == REPO / "models" / "cnn"
    assert resolve_model_dir("cnn", backend="litert") == REPO / "models" / "cnn"
    assert resolve_model_dir(None) == REPO / "models" / "softmax"
    with pytest.raises(UserError, match="cnn, softmax, softmax_plain"):
        resolve_model_dir("lenet")


def test_cnn_metadata_says_deskew_and_arch():
    metadata = json.loads((_shipped("cnn") / "metrics.json").read_text())
    assert metadata["arch"] == "cnn" and metadata["deskew"] is True
    assert metadata["deskew_in_graph"] is True
    assert metadata["test_accuracy"] >= 0.992


@pytest.mark.parametrize("backend", [
    "tensorflow", pytest.param("litert", marks=needs_litert)])
def test_cnn_reads_mnist_test_digits(backend, mnist_test):
    model = DigitModel("cnn", backend=backend)
    assert model.metadata["arch"] == "cnn"
    images, labels = mnist_test
    predicted = model.predict(_inputs_for(model, images[:CNN_SLICE])).argmax(axis=1)
    accuracy = float(np.mean(predicted == labels[:CNN_SLICE]))
    assert accuracy >= MIN_CNN_ACCURACY, accuracy


# --- the shipped models take MNIST as it is -----------------------------------------------------
# models/softmax and models/cnn were trained on deskewed digits and deskew inside their graphs, so
# MNIST's test set fed as it is must score what training reported (softmax 94.78%, cnn 99.35%;
# before the deskew moved into the graph: 76.7% and 94.0%). softmax_plain needs no deskew.
MIN_MNIST_ACCURACY = {"softmax": 0.945, "cnn": 0.993, "softmax_plain": 0.925}
# Feeds of this many digits keep the CNN's activations (and the deskew's gathers) small.
FEED_CHUNK = 1000


def _plain_mnist(mnist_test) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist_test
    return images.reshape(-1, 784).astype(np.float32) / 255.0, labels


def _chunks(flat: np.ndarray):
    return (flat[start:start + FEED_CHUNK] for start in range(0, len(flat), FEED_CHUNK))


@pytest.fixture(scope="module")
def signature_probabilities(mnist_test) -> dict:
    """{name: (10000, 10)} from each shipped SavedModel's TF2 serving_default on MNIST as is."""
    from realtime.model import import_tensorflow

    tf = import_tensorflow()
    flat, _ = _plain_mnist(mnist_test)
    found = {}
    for name in SHIPPED_MODELS:
        serve = tf.saved_model.load(str(_shipped(name))).signatures["serving_default"]
        found[name] = np.concatenate([serve(myInput=tf.constant(chunk))["myOutput"].numpy()
                                      for chunk in _chunks(flat)])
    return found


@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_tf2_signature_reads_mnist_as_it_is(name, signature_probabilities, mnist_test):
    accuracy = float(np.mean(signature_probabilities[name].argmax(axis=1) == mnist_test[1]))
    assert accuracy >= MIN_MNIST_ACCURACY[name], accuracy


@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_original_tf1_session_code_reads_mnist_as_it_is(name, signature_probabilities,
                                                        mnist_test):
    from realtime.model import import_tensorflow

    tf = import_tensorflow()
    flat, labels = _plain_mnist(mnist_test)
    # The original example's loading code, in a graph of its own so the other tests stay eager.
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        tf.compat.v1.saved_model.loader.load(
            sess, [tf.compat.v1.saved_model.tag_constants.SERVING], str(_shipped(name)))
        graph = tf.compat.v1.get_default_graph()
        x = graph.get_tensor_by_name("myInput:0")
        y = graph.get_tensor_by_name("myOutput:0")
        probabilities = np.concatenate([sess.run(y, feed_dict={x: chunk})
                                        for chunk in _chunks(flat)])
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    assert accuracy >= MIN_MNIST_ACCURACY[name], accuracy
    np.testing.assert_allclose(probabilities, signature_probabilities[name],
                               atol=PROBABILITY_TOLERANCE)


@needs_litert
@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_tflite_agrees_with_the_saved_model_on_all_of_mnist(name, signature_probabilities,
                                                            mnist_test):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    flat, labels = _plain_mnist(mnist_test)
    # The built-in op resolver only: a model needing TensorFlow ops (Flex) fails to load here.
    interpreter = Interpreter(model_path=str(_shipped(name) / "model.tflite"),
                              experimental_op_resolver_type=OpResolverType.BUILTIN)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, [FEED_CHUNK, 784])
    interpreter.allocate_tensors()
    chunks = []
    for chunk in _chunks(flat):
        interpreter.set_tensor(input_index, chunk)
        interpreter.invoke()
        chunks.append(interpreter.get_tensor(output_index))
    probabilities = np.concatenate(chunks)
    np.testing.assert_allclose(probabilities, signature_probabilities[name],
                               atol=PROBABILITY_TOLERANCE)
    assert float(np.mean(probabilities.argmax(axis=1) == labels)) >= MIN_MNIST_ACCURACY[name]


def test_a_deskew_trained_export_without_the_graph_deskew_is_refused(tmp_path):
    """A folder exported before the deskew moved into the graph would silently lose points."""
    folder = tmp_path / "old_softmax"
    shutil.copytree(_shipped("softmax"), folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    del metrics["deskew_in_graph"]
    (folder / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(UserError, match=r"does not deskew.*re-export"):
        DigitModel(folder)
