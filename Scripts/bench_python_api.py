"""Per-call overhead of the Python API (python/stylectl) over the Swift call, at 512 x 512.

Run with a Python that has the stylectl package installed (e.g. .build-python/venv/bin/python, made by
Scripts/test; build the library with `swift build -c release --product StyleCAPI` and install it with
`STYLECTL_LIBRARY=$PWD/.build/release/libStyleCAPI.so pip install --no-build-isolation --no-deps --force-reinstall ./python`):

    python Scripts/bench_python_api.py [--vgg FILE --decoder FILE] [--calls N] [--size N]

The Swift call's time is the library's own clock around the pipeline call (``Stylization.seconds``:
sizing, encoding or the caches, AdaIN, decoding); the Python call's is the wall clock around
``Stylizer.stylize`` (ctypes, the controls, array inputs written or found as PNGs, the lock, the copies
of the result into NumPy arrays). Both are the median of N calls after a first that fills the
caches, so each call decodes with cached encodings: the shortest Swift call, where the overhead's
share is largest. Figures are printed, not asserted.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import stylectl
from stylectl._capi import library_path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vgg", default=str(REPO / ".goldens" / "network" / "vgg_legacy.pth"))
    parser.add_argument("--decoder", default=str(REPO / ".goldens" / "network" / "decoder_legacy.pth"))
    parser.add_argument("--images", default=str(REPO.parent / "shared" / "images"))
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--size", type=int, default=512)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, stylectl.Stylizer(vgg=arguments.vgg, decoder=arguments.decoder) as stylizer:
        side = arguments.size
        content_path, style_path = Path(folder) / "content.png", Path(folder) / "style.png"
        Image.open(Path(arguments.images) / "content" / "cornell.jpg").convert("RGB").resize((side, side)).save(content_path)
        Image.open(Path(arguments.images) / "style" / "mondrian.jpg").convert("RGB").resize((side, side)).save(style_path)
        content_array = np.asarray(Image.open(content_path))
        print(f"stylectl Python API overhead, {side} x {side}, median of {arguments.calls} calls (library: {library_path()})")
        for label, content in (("paths", content_path), ("uint8 array", content_array)):
            stylizer.stylization(content, style_path, content_size=0, style_size=0)  # fills the caches
            walls, swifts = [], []
            for _ in range(arguments.calls):
                start = time.perf_counter()
                result = stylizer.stylization(content, style_path, content_size=0, style_size=0)
                walls.append(time.perf_counter() - start)
                swifts.append(result.seconds)
            wall, swift = statistics.median(walls), statistics.median(swifts)
            print(f"  {label:12} Python call {wall * 1e3:8.1f} ms   Swift call {swift * 1e3:8.1f} ms   "
                  f"overhead {(wall - swift) * 1e3:6.1f} ms ({100 * (wall - swift) / swift:.2f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
