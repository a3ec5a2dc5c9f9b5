"""``Stylizer``: stylectl's AdaIN stylization from Python, through the C API of the Swift library."""

from __future__ import annotations

import ctypes
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Sequence, Union

import numpy as np

from . import _capi
from ._images import ImageFiles, ImageInput, MaskInput
from .errors import InputError, StylectlError, error_for

if TYPE_CHECKING:
    from PIL import Image as PILImage

Styles = Union[ImageInput, Sequence[ImageInput]]


@dataclass
class Stylization:
    """One stylization with what was asked of it.

    - ``pixels``: H x W x 3 uint8, what ``stylectl stylize`` writes to a PNG;
    - ``image``: H x W x 3 float32, the values before that quantisation;
    - ``t``: the decoder's input after the alpha blend, (1, 512, H/8, W/8) (``tensors=True``;
      None for a stylization run in tiles);
    - ``g_t``: the decoder's output g(t), (1, 3, 8 ceil(H/8), 8 ceil(W/8)), before cropping and clamping;
    - ``losses``: content loss (Eq. 7), style loss (Eq. 8), Gram style loss, colour distance and,
      with masks, mask fidelity, as a sweep's manifest records them (``losses=True``);
    - ``seconds``: the library's time for the stylization.
    """

    pixels: np.ndarray
    image: np.ndarray
    t: Optional[np.ndarray]
    g_t: Optional[np.ndarray]
    losses: Optional[Dict[str, Any]]
    seconds: float

    def pil(self):
        """``pixels`` as a PIL image."""
        from PIL import Image

        return Image.fromarray(self.pixels)


def _tensor(tensor: _capi.Tensor) -> Optional[np.ndarray]:
    if not tensor.values:
        return None
    shape = tuple(int(tensor.shape[axis]) for axis in range(tensor.rank))
    return np.ctypeslib.as_array(tensor.values, shape=shape).copy()


def _losses(text: Optional[str]) -> Optional[Dict[str, Any]]:
    if text is None:
        return None
    special = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
    return {key: special.get(value, value) if isinstance(value, str) else value for key, value in json.loads(text).items()}


class Stylizer:
    """An encoder and decoder loaded once, for many stylizations (the encoder stays warm and
    encodings are cached: the 32 most recent styles, the 4 most recent contents).

    Weight files are found as ``stylectl stylize`` finds them: ``vgg`` / ``decoder`` when given,
    else ``$STYLECTL_MODELS``, then ``Models/`` in the repository the library was built in, then
    ``Models/`` in the current folder. ``model`` is ``"pytorch-adain"``, ``"torch"`` or ``"seed"``;
    None recognises it from the VGG file.

    Images (content, styles, masks) may be file paths, PIL images, or NumPy arrays: H x W x 3 uint8
    (0-255) or float (0-1, quantised to 8 bits as image files are); masks also H x W and bool. Sizes
    are ``stylectl stylize``'s: ``content_size`` / ``style_size`` resize the shorter side (None: the
    model's default, 512; 0 keeps the size), ``crop`` takes the centre square, ``tile`` forces
    tiles, ``max_memory`` sets the budget (``"2G"``).

    A Stylizer may be shared by threads: its calls run one at a time (a lock per stylizer in the
    library); use one Stylizer per thread to stylize in parallel.

    Raises :class:`stylectl.WeightsError` with stylectl's message when the weights cannot be found or loaded.
    """

    def __init__(self, vgg: Optional[Union[str, os.PathLike]] = None, decoder: Optional[Union[str, os.PathLike]] = None,
                 model: Optional[str] = None) -> None:
        self._lib = _capi.library()
        self._handle = ctypes.c_void_p()
        self._files = ImageFiles()
        # Calls in flight, so that close() (or a collection) never frees the handle under a call.
        self._state = threading.Condition()
        self._calls = 0
        message = ctypes.c_void_p()
        status = self._lib.stylectl_stylizer_load(_bytes(vgg), _bytes(decoder), _bytes(model), _bytes(_search_from()),
                                                  ctypes.byref(self._handle), ctypes.byref(message))
        self._check(status, message)

    def _check(self, status: int, message: ctypes.c_void_p) -> None:
        if status != _capi.OK:
            raise error_for(status, _capi.take_string(message) or f"stylectl failed with status {status}")

    @property
    def info(self) -> Dict[str, Any]:
        """The weight files, the model, and the caches' hits and misses."""
        text, message = ctypes.c_void_p(), ctypes.c_void_p()
        with self._live() as handle:
            self._check(self._lib.stylectl_stylizer_info(handle, ctypes.byref(text), ctypes.byref(message)), message)
        return json.loads(_capi.take_string(text) or "{}")

    @property
    def model(self) -> str:
        """The model being run: ``"pytorch-adain"``, ``"torch"`` or ``"seed"``."""
        return self.info["model"]

    def stylize(self, content: ImageInput, style_or_styles: Styles, alpha: float = 1.0, weights: Optional[Sequence[float]] = None,
                mask: Optional[Union[MaskInput, Sequence[MaskInput]]] = None, preserve_color: Optional[str] = None, *,
                mask_mode: str = "auto", stretch_mask: bool = False, content_size: Optional[int] = None,
                style_size: Optional[int] = None, crop: bool = False, tile: Optional[int] = None,
                max_memory: Optional[str] = None, output: str = "array") -> Union[np.ndarray, "PILImage.Image"]:
        """Stylizes ``content`` with one style, several (interpolation with ``weights``, equal when
        None), or several with ``mask`` (one mask for two styles: white the first; one label map;
        or one mask per style; read as ``mask_mode`` says). ``preserve_color``: None, ``"coral"`` or
        ``"luminance"``. The result is what ``stylectl stylize`` writes for the same inputs and
        flags: ``output="array"`` its H x W x 3 uint8 samples, ``"float"`` the float32 values
        before quantisation, ``"pil"`` a PIL image.

        Raises :class:`stylectl.StylizationError` (stylectl's message) for refused images or controls
        (alpha outside [0, 1] or NaN, bad weights, a mask of another shape), :class:`stylectl.InputError`
        for arrays of another dtype or shape, :class:`stylectl.MemoryLimitError` beyond the memory budget.
        """
        if output not in ("array", "float", "pil"):
            raise InputError(f"output must be 'array', 'float' or 'pil', got {output!r}")
        result = self.stylization(content, style_or_styles, alpha, weights, mask, preserve_color, mask_mode=mask_mode,
                                  stretch_mask=stretch_mask, content_size=content_size, style_size=style_size, crop=crop,
                                  tile=tile, max_memory=max_memory)
        if output == "pil":
            return result.pil()
        return result.image if output == "float" else result.pixels

    def losses(self, content: ImageInput, style_or_styles: Styles, alpha: float = 1.0, weights: Optional[Sequence[float]] = None,
               mask: Optional[Union[MaskInput, Sequence[MaskInput]]] = None, preserve_color: Optional[str] = None,
               **options: Any) -> Dict[str, Any]:
        """The losses of :meth:`stylize`'s stylization with the same arguments: ``content`` (Eq. 7),
        ``style`` (Eq. 8), ``gramStyle``, ``colorDistance`` and, with masks, ``maskFidelity``."""
        result = self.stylization(content, style_or_styles, alpha, weights, mask, preserve_color, losses=True, **options)
        assert result.losses is not None
        return result.losses

    def stylization(self, content: ImageInput, style_or_styles: Styles, alpha: float = 1.0,
                    weights: Optional[Sequence[float]] = None, mask: Optional[Union[MaskInput, Sequence[MaskInput]]] = None,
                    preserve_color: Optional[str] = None, *, mask_mode: str = "auto", stretch_mask: bool = False,
                    content_size: Optional[int] = None, style_size: Optional[int] = None, crop: bool = False,
                    tile: Optional[int] = None, max_memory: Optional[str] = None, tensors: bool = False,
                    losses: bool = False) -> Stylization:
        """:meth:`stylize` with everything: the image as bytes and floats, and ``t`` and ``g(t)``
        (``tensors=True``) and the losses (``losses=True``) when asked. See :class:`Stylization`."""
        self._require_open()
        styles = list(style_or_styles) if isinstance(style_or_styles, (list, tuple)) else [style_or_styles]
        masks = [] if mask is None else (list(mask) if isinstance(mask, (list, tuple)) else [mask])
        style_paths = [self._files.path(style, "style") for style in styles]
        mask_paths = [self._files.path(item, "mask", mask=True) for item in masks]
        content_path = self._files.path(content, "content")
        controls = _capi.Controls()
        encoded_styles = (ctypes.c_char_p * max(1, len(style_paths)))(*[os.fsencode(path) for path in style_paths])
        controls.styles = encoded_styles
        controls.style_count = len(style_paths)
        if weights is not None:
            try:
                weight_values = [float(weight) for weight in weights]
            except (TypeError, ValueError):
                raise InputError(f"weights must be numbers, one per style, got {weights!r}") from None
            weight_array = (ctypes.c_float * max(1, len(weight_values)))(*weight_values)
            controls.weights = weight_array
            controls.weight_count = len(weight_values)
        encoded_masks = (ctypes.c_char_p * max(1, len(mask_paths)))(*[os.fsencode(path) for path in mask_paths])
        controls.masks = encoded_masks
        controls.mask_count = len(mask_paths)
        controls.mask_mode = mask_mode.encode()
        controls.stretch_mask = int(bool(stretch_mask))
        controls.preserve_color = None if preserve_color is None else preserve_color.encode()
        try:
            controls.alpha = float(alpha)
        except (TypeError, ValueError):
            raise InputError(f"alpha must be a number in [0, 1], got {alpha!r}") from None
        sizing = _sizing(content_size, style_size, crop, tile, max_memory)
        flags = (_capi.WANT_TENSORS if tensors else 0) | (_capi.WANT_LOSSES if losses else 0)
        result, message = ctypes.POINTER(_capi.Result)(), ctypes.c_void_p()
        with self._live() as handle:
            status = self._lib.stylectl_stylize(handle, os.fsencode(content_path), ctypes.byref(controls), ctypes.byref(sizing),
                                                flags, ctypes.byref(result), ctypes.byref(message))
        self._check(status, message)
        try:
            made = result.contents
            shape = (int(made.height), int(made.width), 3)
            return Stylization(
                pixels=np.ctypeslib.as_array(made.pixels, shape=shape).copy(),
                image=np.ctypeslib.as_array(made.image, shape=shape).copy(),
                t=_tensor(made.target), g_t=_tensor(made.decoded),
                losses=_losses(ctypes.string_at(made.losses_json).decode() if made.losses_json else None),
                seconds=float(made.seconds))
        finally:
            self._lib.stylectl_result_free(result)

    def encode(self, image: ImageInput, role: str = "content", *, size: Optional[int] = None, crop: bool = False) -> np.ndarray:
        """f(image): the relu4_1 features, float32 (1, 512, H/8, W/8), of an image sized as a
        ``role`` (``"content"`` or ``"style"``) is sized for stylization (``size``: None the model's
        default, 0 its own size). Cached: the same file or array is encoded once."""
        self._require_open()
        if role not in ("content", "style"):
            raise InputError(f"role must be 'content' or 'style', got {role!r}")
        path = self._files.path(image, role)
        sizing = _sizing(size, size, crop, None, None)
        tensor, message = ctypes.POINTER(_capi.Tensor)(), ctypes.c_void_p()
        with self._live() as handle:
            status = self._lib.stylectl_encode(handle, os.fsencode(path), 1 if role == "style" else 0, ctypes.byref(sizing),
                                               ctypes.byref(tensor), ctypes.byref(message))
        self._check(status, message)
        try:
            features = _tensor(tensor.contents)
            assert features is not None
            return features
        finally:
            self._lib.stylectl_tensor_free(tensor)

    def _require_open(self) -> None:
        if not self._handle.value:
            raise StylectlError("this Stylizer is closed")

    @contextmanager
    def _live(self) -> Iterator[ctypes.c_void_p]:
        """The handle, counted as in use until the block ends; raises when closed."""
        with self._state:
            if not self._handle.value:
                raise StylectlError("this Stylizer is closed")
            self._calls += 1
        try:
            yield self._handle
        finally:
            with self._state:
                self._calls -= 1
                self._state.notify_all()

    def close(self) -> None:
        """Frees the network and the caches (after the calls in flight end), and removes the PNGs
        written for arrays. Later calls raise :class:`StylectlError`."""
        state = getattr(self, "_state", None)
        if state is None:
            return
        with state:
            while self._calls:
                state.wait()
            if self._handle.value:
                self._lib.stylectl_stylizer_free(self._handle)
                self._handle = ctypes.c_void_p()
        self._files.close()

    def __enter__(self) -> "Stylizer":
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _bytes(value: Optional[Union[str, os.PathLike]]) -> Optional[bytes]:
    return None if value is None else os.fsencode(value)


def _search_from() -> Optional[str]:
    """The repository the library was built in (recorded at install), whose ``Models/`` is searched."""
    try:
        from ._build import REPOSITORY
    except ImportError:
        return None
    return os.path.join(REPOSITORY, "Package.swift")


def _sizing(content_size: Optional[int], style_size: Optional[int], crop: bool, tile: Optional[int],
            max_memory: Optional[str]) -> _capi.Sizing:
    def side(value: Optional[int], name: str) -> int:
        if value is None:
            return -1
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputError(f"{name} must be an integer number of pixels, got {value!r}")
        # -1 is the C API's "default" and beyond int32 the library would see another number.
        if not 0 <= value < 2**31:
            raise InputError(f"{name} must be 0 or a positive number of pixels, got {value}")
        return int(value)

    sizing = _capi.Sizing()
    sizing.content_size = side(content_size, "content_size")
    sizing.style_size = side(style_size, "style_size")
    sizing.crop = int(bool(crop))
    sizing.tile = 0 if tile is None else side(tile, "tile")
    sizing.max_memory = None if max_memory is None else str(max_memory).encode()
    return sizing
