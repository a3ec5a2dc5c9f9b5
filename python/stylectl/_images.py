"""Turns the Python API's image inputs (paths, PIL images, NumPy arrays) into the files the library
reads.

The library reads images as ``stylectl stylize`` does, from files, so that every input takes the one
stylization path and gives the CLI's bytes. Arrays and PIL images are written as 8-bit PNGs (lossless
for 8-bit samples) into a private folder, named by a hash of their samples: the same array is the
same file, whose encoding the library's cache then keeps.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from .errors import InputError

if TYPE_CHECKING:
    from PIL import Image as PILImage

ImageInput = Union[str, "os.PathLike[str]", "PILImage.Image", np.ndarray]
"""A file path (JPEG or PNG), a PIL image, or an H x W x 3 array: uint8 (0-255) or float (0-1)."""

MaskInput = Union[str, "os.PathLike[str]", "PILImage.Image", np.ndarray]
"""A mask file, a PIL image, or an H x W (or H x W x 3) array: bool, uint8 (0-255) or float (0-1)."""


def quantized(values: np.ndarray, what: str) -> np.ndarray:
    """Float samples in [0, 1] as 8-bit samples, rounded as stylectl's image writers round
    (``floor(x * 255 + 0.5)`` in float32): an array of ``b / 255`` gives back ``b``."""
    if not np.all(np.isfinite(values)):
        raise InputError(f"{what}: the float array holds NaN or infinite values; give values in [0, 1]")
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > 1:
        raise InputError(f"{what}: float values must be in [0, 1], got [{low:g}, {high:g}] (uint8 arrays take 0-255)")
    scaled = values.astype(np.float32) * np.float32(255) + np.float32(0.5)
    return np.clip(np.floor(scaled), 0, 255).astype(np.uint8)


def samples(value: np.ndarray, what: str, mask: bool = False) -> np.ndarray:
    """An array checked and made 8-bit: H x W x 3 (or, for a mask, H x W too), uint8, float in
    [0, 1], or (masks) bool."""
    shapes = "H x W x 3 or H x W" if mask else "H x W x 3"
    if value.ndim not in ((2, 3) if mask else (3,)) or (value.ndim == 3 and value.shape[2] != 3):
        raise InputError(f"{what}: an array of shape {value.shape}; give {shapes} (RGB, rows first)")
    if value.shape[0] < 1 or value.shape[1] < 1:
        raise InputError(f"{what}: an empty array of shape {value.shape}")
    if value.dtype == np.uint8:
        return np.ascontiguousarray(value)
    if mask and value.dtype == np.bool_:
        return np.ascontiguousarray(value.astype(np.uint8) * 255)
    if np.issubdtype(value.dtype, np.floating):
        return np.ascontiguousarray(quantized(value, what))
    kinds = "uint8 (0-255), float (0-1) or bool" if mask else "uint8 (0-255) or float (0-1)"
    raise InputError(f"{what}: an array of dtype {value.dtype}; give {kinds}")


class ImageFiles:
    """The folder of PNGs written for in-memory inputs; removed with this object (or at exit)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="stylectl-inputs-"))
        self._writing = threading.Lock()
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    def path(self, value: ImageInput, what: str, mask: bool = False) -> str:
        """The file the library reads for `value` (`what` names it in errors: "content", "style", "mask")."""
        if isinstance(value, (str, os.PathLike)):
            return os.fspath(value)
        if isinstance(value, np.ndarray):
            return self._written(samples(value, what, mask))
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow is a dependency
            Image = None
        if Image is not None and isinstance(value, Image.Image):
            if mask and value.mode in ("1", "L"):
                return self._written(np.asarray(value.convert("L")))
            return self._written(np.asarray(value.convert("RGB")))
        raise InputError(f"{what}: a {type(value).__name__}; give a file path, a PIL image or a NumPy array")

    def _written(self, pixels: np.ndarray) -> str:
        from PIL import Image

        digest = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()[:32]
        path = self.folder / f"{digest}.png"
        with self._writing:
            if not path.exists():
                partial = path.with_suffix(".partial")
                Image.fromarray(pixels).save(partial, format="PNG", compress_level=1)
                os.replace(partial, path)
        return str(path)

    def close(self) -> None:
        """Removes the folder now."""
        self._cleanup()
