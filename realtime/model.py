"""Stage 4 of the pipeline: load the exported SavedModel once and classify a whole batch per call.

One signature call per frame (never per digit, never Keras `predict`): the serving signature is a
concrete function with input [None, 784], so any number of digits runs without retracing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from realtime.errors import UserError

INPUT_NAME = "myInput"
OUTPUT_NAME = "myOutput"
SIGNATURE = "serving_default"
DEFAULT_MODEL = "softmax"
MODELS_ENV_VAR = "REALTIME_DIGITS_MODELS"


def models_root() -> Path:
    """Where named models live: $REALTIME_DIGITS_MODELS, else models/ beside the package."""
    env = os.environ.get(MODELS_ENV_VAR)
    return Path(env) if env else Path(__file__).resolve().parent.parent / "models"


def resolve_model_dir(model: str | os.PathLike | None) -> Path:
    """A SavedModel folder from a path or a name under models/ ("softmax", "cnn")."""
    model = model or DEFAULT_MODEL
    path = Path(model)
    if not path.exists() and not path.is_absolute() and len(path.parts) == 1:
        path = models_root() / path
    if not path.exists():
        known = sorted(p.name for p in models_root().glob("*") if (p / "saved_model.pb").exists())
        raise UserError(f"model {str(model)!r} not found: give a SavedModel folder or one of "
                        f"{', '.join(known) or 'the models under ' + str(models_root())}")
    if not (path / "saved_model.pb").is_file():
        raise UserError(f"{path} is not a SavedModel folder (no saved_model.pb): point --model "
                        f"at the folder train_export.py wrote, e.g. models/softmax")
    return path


class DigitModel:
    """A loaded digit classifier: (N, 784) float32 in [0, 1], white on black -> (N, 10) probs.

    deskew: whether the model was trained on deskewed digits (metrics.json "deskew"), so the
    normalizer must deskew too.
    """

    def __init__(self, model_dir: str | os.PathLike | None = None):
        self.model_dir = resolve_model_dir(model_dir)
        metadata_path = self.model_dir / "metrics.json"
        self.metadata = json.loads(metadata_path.read_text()) if metadata_path.is_file() else {}
        self.deskew = bool(self.metadata.get("deskew", False))
        self._predict = _load_signature(self.model_dir)

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 784) float32 -> (N, 10) float32 probabilities, in one call."""
        flat = np.ascontiguousarray(digits, dtype=np.float32).reshape(len(digits), 784)
        if len(flat) == 0:
            return np.zeros((0, 10), np.float32)
        return self._predict(flat)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide what TensorFlow's C++ side prints while it starts (oneDNN and CUDA-probe notices).

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
    with _native_stderr_silenced():
        import tensorflow as tf
    return tf


def _load_signature(model_dir: Path):
    tf = import_tensorflow()
    try:
        with _native_stderr_silenced():
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
    shape_ok = INPUT_NAME in inputs and inputs[INPUT_NAME].shape.as_list()[-1:] == [784]
    if not shape_ok or OUTPUT_NAME not in outputs or outputs[OUTPUT_NAME].shape.as_list()[-1:] != [10]:
        raise UserError(f"{model_dir} has the wrong signature: expected input {INPUT_NAME} [None, 784] "
                        f"and output {OUTPUT_NAME} [None, 10], found inputs {found_in} and outputs "
                        f"{found_out}; re-export it with train_export.py")

    def predict(flat: np.ndarray) -> np.ndarray:
        return signature(**{INPUT_NAME: tf.constant(flat)})[OUTPUT_NAME].numpy()

    predict.loaded = loaded  # keep the trackable object alive as long as the function
    return predict
