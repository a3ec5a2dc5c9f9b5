"""What the notebooks share: where stylectl, the weights, the images and the reports are, the
Python API's stylizer (single images, as arrays), how to run stylectl (sweeps and reports) and show
arrays and contact sheets inline.

Environment variables (all optional):

- ``STYLECTL``: the stylectl binary (default: ``.build/release/stylectl``, then ``.build/debug/stylectl``).
- ``STYLECTL_VGG``, ``STYLECTL_DECODER``: weight files passed as ``--vgg`` and ``--decoder``
  (default: stylectl's own search, ``$STYLECTL_MODELS`` then ``Models/``).
- ``STYLECTL_IMAGES``: the test images (default: ``../shared/images`` beside the repository).
- ``STYLECTL_REPORTS``: the folder of reports (default: ``Reports/`` in the repository).
- ``STYLECTL_SIZE``: the content and style size in pixels (default 256; CI uses 64).

The ``stylectl`` Python package (``pip install ./python``, see the README) must be importable; it
loads the library it was installed with (or ``STYLECTL_LIBRARY``).
"""

import os
import re
import shlex
import subprocess
from pathlib import Path

import io

import stylectl as api
from matplotlib.figure import Figure
from IPython.display import Image, display

REPO = Path(__file__).resolve().parent.parent
IMAGES = Path(os.environ.get("STYLECTL_IMAGES") or REPO.parent / "shared" / "images")
REPORTS = Path(os.environ.get("STYLECTL_REPORTS") or REPO / "Reports")
SIZE = int(os.environ.get("STYLECTL_SIZE") or 256)


def _binary() -> Path:
    if os.environ.get("STYLECTL"):
        return Path(os.environ["STYLECTL"])
    for configuration in ("release", "debug"):
        candidate = REPO / ".build" / configuration / "stylectl"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("no stylectl binary: run `swift build -c release` in the repository or set STYLECTL")


STYLECTL = _binary()
MODEL_FLAGS = [flag for name, variable in (("--vgg", "STYLECTL_VGG"), ("--decoder", "STYLECTL_DECODER"))
               if os.environ.get(variable) for flag in (name, os.environ[variable])]


def image(relative: str) -> str:
    """A test image's path, e.g. ``image("content/cornell.jpg")``."""
    path = IMAGES / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: set STYLECTL_IMAGES to the folder of test images")
    return str(path)


def stylectl(*args, models: bool = False) -> str:
    """Runs ``stylectl ARGS`` (with the weight flags when ``models``), prints the command and the
    last lines of its progress, and returns its standard error; raises when it fails."""
    command = [str(STYLECTL), *map(str, args), *(MODEL_FLAGS if models else [])]
    print("$", shlex.join(["stylectl", *command[1:]]))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"stylectl failed with exit code {result.returncode}:\n{result.stderr}")
    print("\n".join(result.stderr.strip().splitlines()[-2:]))
    return result.stderr


def show_sheets(folder) -> list:
    """Shows a report's contact sheets (``sheet-1.png``, ``sheet-2.png``, ...) inline, in page order."""
    sheets = sorted(Path(folder).glob("sheet-*.png"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))
    if not sheets:
        raise FileNotFoundError(f"no contact sheets in {folder}")
    for sheet in sheets:
        display(Image(filename=str(sheet)))
    return sheets


_stylizer = None


def stylizer() -> api.Stylizer:
    """The Python API's stylizer with the notebook's weights (``STYLECTL_VGG``, ``STYLECTL_DECODER``,
    else stylectl's own search), loaded once per kernel: its encodings stay cached between cells."""
    global _stylizer
    if _stylizer is None:
        _stylizer = api.Stylizer(vgg=os.environ.get("STYLECTL_VGG"), decoder=os.environ.get("STYLECTL_DECODER"))
    return _stylizer


def show(images, titles=None, width: float = 2.5) -> None:
    """Shows images (H x W x 3 arrays, or H x W masks in grey) side by side, drawn by matplotlib
    (its object API, so no pyplot backend is involved: the same in Jupyter and headless runs)."""
    images = list(images)
    figure = Figure(figsize=(width * len(images), width))
    axes = figure.subplots(1, len(images), squeeze=False)[0]
    for index, (axis, picture) in enumerate(zip(axes, images)):
        grey = getattr(picture, "ndim", 3) == 2
        axis.imshow(picture, **({"cmap": "gray", "vmin": 0, "vmax": 255} if grey else {}))
        # Masks keep their frame: a white region would otherwise merge with the page.
        axis.set_xticks([])
        axis.set_yticks([])
        if not grey:
            axis.set_axis_off()
        if titles:
            axis.set_title(titles[index], fontsize=9)
    figure.tight_layout()
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=100)
    display(Image(data=png.getvalue()))
