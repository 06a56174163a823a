"""Reading MNIST for training and tests: a Keras-layout .npz, a folder of IDX files, or the download.

Order of look-up: the explicit path, then the MNIST_NPZ environment variable, then Keras' usual
download (real users). Tests and CI point MNIST_NPZ at ../shared/data/mnist.npz.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from realtime.errors import UserError

ENV_VAR = "MNIST_NPZ"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET = (f"pass --data PATH (a Keras-layout mnist.npz or a folder of the four IDX files), "
              f"or set {ENV_VAR}=PATH, or let Keras download it (needs internet)")


class Mnist(NamedTuple):
    """x_*: (N, 28, 28) uint8, white digit on black; y_*: (N,) uint8 labels; source: where from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def resolve_path(path: str | os.PathLike | None) -> Path | None:
    """The data path to use: the explicit one, else $MNIST_NPZ, else None (download)."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else None


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of the concatenated files of a folder (sorted by name)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from `path`, $MNIST_NPZ or the Keras download; raise UserError if impossible."""
    resolved = resolve_path(path)
    if resolved is None:
        return _download()
    if not resolved.exists():
        raise UserError(f"MNIST data not found at {resolved}: {HOW_TO_GET}")
    arrays = _read_idx_folder(resolved) if resolved.is_dir() else _read_npz(resolved)
    _check(arrays, resolved)
    return Mnist(**arrays, source=str(resolved))


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in IDX_NAMES if key not in npz.files]
            if missing:
                raise UserError(f"{path} is not a Keras-layout MNIST .npz (missing "
                                f"{', '.join(missing)}): {HOW_TO_GET}")
            return {key: npz[key] for key in IDX_NAMES}
    except UserError:
        raise
    except Exception as error:  # zipfile, pickle and value errors all mean "not an npz"
        raise UserError(f"cannot read {path} as an .npz ({type(error).__name__}: {error}): "
                        f"{HOW_TO_GET}") from None


def _read_idx_folder(folder: Path) -> dict:
    arrays = {}
    for key, stem in IDX_NAMES.items():
        candidates = [folder / stem, folder / (stem + ".gz"),
                      folder / stem.replace("-idx", ".idx"), folder / (stem.replace("-idx", ".idx") + ".gz")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise UserError(f"{folder} has no {stem}[.gz]: {HOW_TO_GET}")
        arrays[key] = _read_idx(found)
    return arrays


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise UserError(f"cannot read IDX file {path} ({error}): {HOW_TO_GET}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise UserError(f"{path} is not an unsigned-byte IDX file: {HOW_TO_GET}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise UserError(f"{path} is truncated or malformed (header says {shape}): {HOW_TO_GET}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _check(arrays: dict, path: Path) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (x.shape[0],) or x.shape[0] == 0:
            raise UserError(f"{path}: x_{split} {x.shape} / y_{split} {y.shape} are not MNIST "
                            f"shapes (N, 28, 28) / (N,): {HOW_TO_GET}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise UserError(f"{path}: y_{split} holds labels outside 0-9: {HOW_TO_GET}")
    for key in IDX_NAMES:
        arrays[key] = np.asarray(arrays[key], dtype=np.uint8)


def _download() -> Mnist:
    try:
        from tensorflow import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:
        raise UserError(f"no MNIST data given and the download failed ({type(error).__name__}): "
                        f"{HOW_TO_GET}") from None
    return Mnist(x_train, y_train, x_test, y_test, source="keras.datasets.mnist")
