"""stylectl from Python: AdaIN style transfer (Huang & Belongie 2017) by stylectl's Swift library.

>>> import stylectl
>>> stylizer = stylectl.Stylizer()                     # weights found as `stylectl stylize` finds them
>>> out = stylizer.stylize("photo.jpg", "painting.jpg", alpha=0.8)   # H x W x 3 uint8
>>> features = stylizer.encode(out, role="content")   # relu4_1, (1, 512, H/8, W/8)
>>> report = stylectl.run_sweep("Reports/examples/alpha.json", report="alpha")   # the CLI's sweep

The library is ``libstylectl.so`` installed in this package (or ``$STYLECTL_LIBRARY``).
"""

from .errors import InputError, MemoryLimitError, StylectlError, StylizationError, WeightsError
from .reports import Report, load_report, run_sweep
from .stylizer import Stylization, Stylizer

__all__ = ["Stylizer", "Stylization", "Report", "run_sweep", "load_report", "StylectlError", "WeightsError",
           "StylizationError", "MemoryLimitError", "InputError"]
