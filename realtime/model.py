"""Stage 4 of the pipeline: load the exported model once and classify a whole batch per call.

Two backends read the same model folder. "tensorflow" calls the SavedModel's serving signature,
a concrete function with input [None, 784], so any number of digits runs without retracing.
"litert" runs the folder's model.tflite with ai-edge-litert and never imports TensorFlow: it
starts in a fraction of the time and memory. Either way: one call per frame, never per digit.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np

from realtime.contract import (
    DEFAULT_MODEL,
    DESKEW_IN_GRAPH_KEY,
    DESKEW_KEY,
    DIGIT_PIXELS,
    INPUT_NAME,
    METRICS_FILE,
    NUM_CLASSES,
    OUTPUT_NAME,
    SAVED_MODEL_FILE,
    SIGNATURE,
    TFLITE_FILE,
    classifier_names,
    model_folder,
    models_root,
)
from realtime.errors import UserError

BACKENDS = ("tensorflow", "litert")
DEFAULT_BACKEND = "tensorflow"
# What each backend loads from a model folder.
_BACKEND_FILE = {"tensorflow": SAVED_MODEL_FILE, "litert": TFLITE_FILE}
# A LiteRT interpreter runs one fixed input shape; resizing it re-plans its memory and re-prepares
# XNNPACK (measured for the CNN: 0.24 ms per call when the size changes every call, 0.17 ms when
# it does not). So one interpreter is kept per batch size seen (the first call at a new size
# costs ~0.8 ms). Each holds its own packed weights (~0.5 MB for the CNN): frames show a handful
# of digit counts, and this bound stops a stream whose count keeps changing from keeping one for
# every count up to Settings.max_regions.
LITERT_CACHED_BATCH_SIZES = 16


def check_backend(backend: str) -> str:
    """`backend` if it is one of BACKENDS, else a UserError naming them."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    return backend


def resolve_model_dir(model: str | os.PathLike | None, backend: str = DEFAULT_BACKEND) -> Path:
    """A model folder from a path or a name under models/ ("softmax", "cnn").

    It must hold what `backend` loads: saved_model.pb for "tensorflow", model.tflite for
    "litert" (a folder with only model.tflite and metrics.json is enough for that one).
    """
    needed = _BACKEND_FILE[check_backend(backend)]
    model = model or DEFAULT_MODEL
    path = model_folder(model)
    if not path.exists():
        known = classifier_names(*_BACKEND_FILE.values())
        raise UserError(f"model {str(model)!r} not found: give a model folder or one of "
                        f"{', '.join(known) or 'the models under ' + str(models_root())}")
    if (path / needed).is_file():
        return path
    if backend == "litert" and (path / SAVED_MODEL_FILE).is_file():
        raise UserError(f"{path} has no {TFLITE_FILE} for the litert backend: add it with "
                        f"`python train_export.py --tflite-only {path}` (or re-export the model)")
    raise UserError(f"{path} is not a model folder (no {needed}): point --model at the folder "
                    f"train_export.py wrote, e.g. models/softmax")


class DigitModel:
    """A loaded digit classifier: (N, 784) float32 in [0, 1], white on black -> (N, 10) probs.

    model_dir: a model folder or a name under models/ (None: the shipped softmax model).
    backend: "tensorflow" (the SavedModel) or "litert" (model.tflite through ai-edge-litert,
    without importing TensorFlow; needs `pip install -e .[lite]`). Both give the same
    probabilities within ~2e-6.
    A model trained on deskewed digits deskews its input inside its own graph, so callers feed
    every model the same MNIST-normalized digits.
    """

    def __init__(self, model_dir: str | os.PathLike | None = None,
                 backend: str = DEFAULT_BACKEND):
        self.backend = check_backend(backend)
        self.model_dir = resolve_model_dir(model_dir, backend)
        metadata_path = self.model_dir / METRICS_FILE
        self.metadata = json.loads(metadata_path.read_text()) if metadata_path.is_file() else {}
        if self.metadata.get(DESKEW_KEY) and not self.metadata.get(DESKEW_IN_GRAPH_KEY):
            # Exported before the deskew moved into the graph: fed plain digits it would lose
            # points (MNIST test 94.8 -> 76.7% for the softmax model) without saying why.
            raise UserError(f"{self.model_dir} was trained on deskewed digits but its graph does "
                            f"not deskew (an export older than the in-graph deskew): re-export "
                            f"it with train_export.py")
        if backend == "litert":
            self._predict = LiteRTPredictor(self.model_dir / TFLITE_FILE)
        else:
            self._predict = _load_signature(self.model_dir)

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 784) float32 -> (N, 10) float32 probabilities, in one call."""
        flat = np.ascontiguousarray(digits, dtype=np.float32).reshape(len(digits), DIGIT_PIXELS)
        if len(flat) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        return self._predict(flat)


@contextlib.contextmanager
def native_stderr_silenced():
    """Hide what TensorFlow's and LiteRT's C++ sides print (oneDNN, CUDA-probe, XNNPACK notices).

    TF 2.21 prints them before TF_CPP_MIN_LOG_LEVEL applies, so only redirecting file
    descriptor 2 keeps a user's terminal to our own one-line messages. Python errors raised
    inside still propagate after stderr is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """TensorFlow, imported quietly (it takes seconds: only import it once a model is needed)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import tensorflow as tf
    return tf


def _load_signature(model_dir: Path, output_name: str = OUTPUT_NAME, output_width: int = NUM_CLASSES):
    """The folder's serving signature as flat (N, 784) -> (N, output_width), its shapes checked."""
    tf = import_tensorflow()
    try:
        with native_stderr_silenced():
            loaded = tf.saved_model.load(str(model_dir))
    except Exception as error:
        raise UserError(f"cannot load the SavedModel in {model_dir} ({type(error).__name__}): "
                        f"re-export it with train_export.py") from None
    signature = loaded.signatures.get(SIGNATURE)
    if signature is None:
        raise UserError(f"{model_dir} has no {SIGNATURE!r} signature (found: "
                        f"{', '.join(loaded.signatures.keys()) or 'none'}): re-export it with train_export.py")
    inputs = signature.structured_input_signature[1]
    outputs = signature.structured_outputs
    found_in = {name: spec.shape.as_list() for name, spec in inputs.items()}
    found_out = {name: spec.shape.as_list() for name, spec in outputs.items()}
    shape_ok = INPUT_NAME in inputs and inputs[INPUT_NAME].shape.as_list()[-1:] == [DIGIT_PIXELS]
    if not shape_ok or output_name not in outputs or outputs[output_name].shape.as_list()[-1:] != [output_width]:
        raise UserError(f"{model_dir} has the wrong signature: expected input {INPUT_NAME} [None, 784] "
                        f"and output {output_name} [None, {output_width}], found inputs {found_in} and outputs "
                        f"{found_out}; re-export it with train_export.py")

    def predict(flat: np.ndarray) -> np.ndarray:
        return signature(**{INPUT_NAME: tf.constant(flat)})[output_name].numpy()

    predict.loaded = loaded  # keep the trackable object alive as long as the function
    return predict


def import_litert_interpreter():
    """ai-edge-litert's Interpreter class (imported only for the litert backend)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise UserError("the litert backend needs the ai-edge-litert package: "
                        "pip install -e .[lite] (or use --backend tensorflow)") from None
    return Interpreter


class LiteRTPredictor:
    """model.tflite run by ai-edge-litert: (N, 784) float32 -> (N, output_width) float32, N >= 1
    (10 for a classifier, 1 for the digit check).

    The file holds the serving signature converted from the SavedModel (input myInput with a
    dynamic batch dimension); one interpreter per batch size is sized and kept (up to
    LITERT_CACHED_BATCH_SIZES, least recently used dropped first).
    """

    def __init__(self, tflite_path: Path, output_width: int = NUM_CLASSES):
        self.output_width = output_width
        self._interpreter_class = import_litert_interpreter()
        self.tflite_path = tflite_path
        self._how_to_fix = (f"re-export it with "
                            f"`python train_export.py --tflite-only {tflite_path.parent}`")
        try:
            self._model_bytes = tflite_path.read_bytes()
        except OSError as error:
            raise UserError(f"cannot read {tflite_path} ({error.strerror}): "
                            f"{self._how_to_fix}") from None
        self._by_batch_size: OrderedDict[int, tuple] = OrderedDict()
        self._runner(1)  # fail now, not on the first frame, if the file is not a digit model

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        interpreter, input_index, output_index = self._runner(len(flat))
        interpreter.set_tensor(input_index, flat)
        interpreter.invoke()
        return interpreter.get_tensor(output_index)  # a copy, safe from the next call

    def _runner(self, batch_size: int) -> tuple:
        runner = self._by_batch_size.get(batch_size)
        if runner is not None:
            self._by_batch_size.move_to_end(batch_size)
            return runner
        runner = self._load(batch_size)
        self._by_batch_size[batch_size] = runner
        if len(self._by_batch_size) > LITERT_CACHED_BATCH_SIZES:
            self._by_batch_size.popitem(last=False)
        return runner

    def _load(self, batch_size: int) -> tuple:
        try:
            with native_stderr_silenced():  # "Created TensorFlow Lite XNNPACK delegate for CPU."
                interpreter = self._interpreter_class(model_content=self._model_bytes)
                inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
                if len(inputs) == 1 and len(outputs) == 1:
                    interpreter.resize_tensor_input(inputs[0]["index"], [batch_size, DIGIT_PIXELS])
                    interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            reason = " ".join(str(error).split())[:200]
            raise UserError(f"cannot load {self.tflite_path} ({reason}): "
                            f"{self._how_to_fix}") from None
        if not (_is_tensor(inputs, DIGIT_PIXELS) and _is_tensor(outputs, self.output_width)):
            raise UserError(f"{self.tflite_path} is not a digit model: expected one float32 input "
                            f"[N, {DIGIT_PIXELS}] and one float32 output [N, {self.output_width}], found "
                            f"inputs {_describe(inputs)} and outputs {_describe(outputs)}; "
                            f"{self._how_to_fix}")
        return interpreter, inputs[0]["index"], outputs[0]["index"]


def _is_tensor(details: list[dict], width: int) -> bool:
    """One float32 tensor of shape [N, width] in an interpreter's input or output details."""
    return (len(details) == 1 and details[0]["dtype"] == np.float32
            and details[0]["shape_signature"].tolist()[-1:] == [width])


def _describe(details: list[dict]) -> list[tuple]:
    return [(d["name"], d["shape_signature"].tolist(), np.dtype(d["dtype"]).name) for d in details]
