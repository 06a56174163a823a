"""The model contract: what train_export.py writes into a model folder and realtime.model reads.

One home for the names both sides must agree on (the original example's tensor names, the
serving signature, the input and output widths, the file names) and for where named models live,
so the exporter and the recognizer cannot drift apart. Light on purpose: no TensorFlow import.
"""

from __future__ import annotations

import os
from pathlib import Path

# The original example's tensor names; its loading code looks them up, so they are the interface.
INPUT_NAME = "myInput"
OUTPUT_NAME = "myOutput"
SIGNATURE = "serving_default"
DIGIT_SIDE = 28
DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE
NUM_CLASSES = 10
INPUT_DESCRIPTION = ("float32 [N,784] in [0,1], white digit on black, MNIST-normalized "
                     "(ink in a 20x20 box, centre of mass at the centre of 28x28)")
OUTPUT_DESCRIPTION = "float32 [N,10] probabilities"

SAVED_MODEL_FILE = "saved_model.pb"
TFLITE_FILE = "model.tflite"
METRICS_FILE = "metrics.json"
# metrics.json keys: "deskew" says the classifier was trained on deskewed digits;
# "deskew_in_graph" says the exported graph deskews its own input (so callers never do).
DESKEW_KEY = "deskew"
DESKEW_IN_GRAPH_KEY = "deskew_in_graph"

DEFAULT_MODEL = "softmax"

# The "not a digit" check (realtime/digit_check.py): its own model folder under models_root(),
# the same input as the classifiers (myInput, un-deskewed MNIST layout) and one output, the
# probability that a region is a digit at all.
CHECK_MODEL = "notdigit"
CHECK_OUTPUT_NAME = "isDigit"
CHECK_OUTPUT_WIDTH = 1
CHECK_OUTPUT_DESCRIPTION = "float32 [N,1] probability that the region is a digit at all"
MODELS_ENV_VAR = "REALTIME_DIGITS_MODELS"


def models_root() -> Path:
    """Where named models live: $REALTIME_DIGITS_MODELS, else models/ beside the package."""
    env = os.environ.get(MODELS_ENV_VAR)
    return Path(env) if env else Path(__file__).resolve().parent.parent / "models"


def classifier_names(*model_files: str) -> list[str]:
    """The named classifiers under models_root() (sorted): folders holding one of model_files
    (default: saved_model.pb), never the not-a-digit check, which answers isDigit, not a digit."""
    files = model_files or (SAVED_MODEL_FILE,)
    return sorted(p.name for p in models_root().glob("*") if p.name != CHECK_MODEL
                  and any((p / name).is_file() for name in files))


def model_folder(model: str | os.PathLike) -> Path:
    """A model folder from a path, or from a bare name ("softmax", "cnn") under models_root().

    A bare name that is not an existing path is looked up under models_root(); anything else is
    taken as the path it is. Whether the folder holds a model is the caller's check.
    """
    path = Path(model)
    if not path.exists() and not path.is_absolute() and len(path.parts) == 1:
        return models_root() / path
    return path
