"""ctypes declarations of stylectl.h (Sources/CStylectl/stylectl.h, API version 1) and the loading
of the library: ``$STYLECTL_LIBRARY`` when set, else the ``libstylectl.so`` installed beside this
file."""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path
from typing import Optional

API_VERSION = 1

OK = 0
ERROR_ARGUMENT = 1
ERROR_WEIGHTS = 2
ERROR_STYLIZATION = 3
ERROR_MEMORY = 4

WANT_TENSORS = 1
WANT_LOSSES = 2


class Sizing(ctypes.Structure):
    _fields_ = [
        ("content_size", ctypes.c_int32),
        ("style_size", ctypes.c_int32),
        ("crop", ctypes.c_int32),
        ("tile", ctypes.c_int32),
        ("max_memory", ctypes.c_char_p),
    ]


class Controls(ctypes.Structure):
    _fields_ = [
        ("styles", ctypes.POINTER(ctypes.c_char_p)),
        ("style_count", ctypes.c_int32),
        ("weights", ctypes.POINTER(ctypes.c_float)),
        ("weight_count", ctypes.c_int32),
        ("masks", ctypes.POINTER(ctypes.c_char_p)),
        ("mask_count", ctypes.c_int32),
        ("mask_mode", ctypes.c_char_p),
        ("stretch_mask", ctypes.c_int32),
        ("preserve_color", ctypes.c_char_p),
        ("alpha", ctypes.c_float),
    ]


class Tensor(ctypes.Structure):
    _fields_ = [
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * 4),
        ("values", ctypes.POINTER(ctypes.c_float)),
    ]


class Result(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("pixels", ctypes.POINTER(ctypes.c_uint8)),
        ("image", ctypes.POINTER(ctypes.c_float)),
        ("target", Tensor),
        ("decoded", Tensor),
        ("losses_json", ctypes.c_void_p),
        ("seconds", ctypes.c_double),
    ]


def _declare(library: ctypes.CDLL) -> ctypes.CDLL:
    status = ctypes.c_int32
    message = ctypes.POINTER(ctypes.c_void_p)
    library.stylectl_api_version.argtypes = []
    library.stylectl_api_version.restype = ctypes.c_int32
    library.stylectl_stylizer_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                               ctypes.POINTER(ctypes.c_void_p), message]
    library.stylectl_stylizer_load.restype = status
    library.stylectl_stylizer_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), message]
    library.stylectl_stylizer_info.restype = status
    library.stylectl_stylizer_free.argtypes = [ctypes.c_void_p]
    library.stylectl_stylizer_free.restype = None
    library.stylectl_encode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.POINTER(Sizing),
                                        ctypes.POINTER(ctypes.POINTER(Tensor)), message]
    library.stylectl_encode.restype = status
    library.stylectl_tensor_free.argtypes = [ctypes.POINTER(Tensor)]
    library.stylectl_tensor_free.restype = None
    library.stylectl_stylize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Controls), ctypes.POINTER(Sizing),
                                         ctypes.c_int32, ctypes.POINTER(ctypes.POINTER(Result)), message]
    library.stylectl_stylize.restype = status
    library.stylectl_result_free.argtypes = [ctypes.POINTER(Result)]
    library.stylectl_result_free.restype = None
    library.stylectl_string_free.argtypes = [ctypes.c_void_p]
    library.stylectl_string_free.restype = None
    return library


_library: Optional[ctypes.CDLL] = None
_loading = threading.Lock()


def library_path() -> Path:
    """Where the library is loaded from: ``$STYLECTL_LIBRARY``, else the package's ``libstylectl.so``."""
    if os.environ.get("STYLECTL_LIBRARY"):
        return Path(os.environ["STYLECTL_LIBRARY"])
    return Path(__file__).resolve().parent / "libstylectl.so"


def library() -> ctypes.CDLL:
    """The loaded library, its API version checked; loaded on first use."""
    global _library
    with _loading:
        if _library is None:
            path = library_path()
            if not path.is_file():
                raise OSError(f"stylectl: no library at {path}: install the package with the library built "
                              "(`swift build -c release --product StyleCAPI`, then `pip install ./python`), "
                              "or set STYLECTL_LIBRARY to a libStyleCAPI.so")
            loaded = _declare(ctypes.CDLL(str(path)))
            version = loaded.stylectl_api_version()
            if version != API_VERSION:
                raise OSError(f"stylectl: {path} has C API version {version}; this package needs version {API_VERSION}")
            _library = loaded
        return _library


def take_string(pointer: ctypes.c_void_p) -> Optional[str]:
    """A string the library allocated, decoded and freed."""
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8", errors="replace")
    finally:
        library().stylectl_string_free(pointer)
