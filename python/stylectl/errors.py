"""The exceptions of the stylectl package."""

from __future__ import annotations


class StylectlError(Exception):
    """A failure reported by the library, with the words ``stylectl`` prints after ``Error:``.

    ``code`` is the C API's status: 1 an argument (an unknown name), 2 the weight files, 3 the
    images and controls, 4 memory.
    """

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class WeightsError(StylectlError):
    """The weight files are missing, unreadable, or of another network or model."""


class StylizationError(StylectlError, ValueError):
    """An image, a control (alpha, weights, masks, colour preservation) or a size was refused."""


class MemoryLimitError(StylectlError, MemoryError):
    """The stylization needs more memory than the budget (``max_memory``, ``$STYLECTL_MAX_MEMORY``
    or 3/4 of MemAvailable)."""


class InputError(StylectlError, ValueError):
    """An array or image given to the Python API has a dtype, shape or values it cannot take."""


def error_for(code: int, message: str) -> StylectlError:
    """The exception of a C API status."""
    kind = {1: StylizationError, 2: WeightsError, 3: StylizationError, 4: MemoryLimitError}.get(code, StylectlError)
    return kind(message, code)
