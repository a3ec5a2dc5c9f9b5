"""What the notebooks share: where stylectl, the weights, the images and the reports are, and how
to run stylectl and show its contact sheets inline.

Environment variables (all optional):

- ``STYLECTL``: the stylectl binary (default: ``.build/release/stylectl``, then ``.build/debug/stylectl``).
- ``STYLECTL_VGG``, ``STYLECTL_DECODER``: weight files passed as ``--vgg`` and ``--decoder``
  (default: stylectl's own search, ``$STYLECTL_MODELS`` then ``Models/``).
- ``STYLECTL_IMAGES``: the test images (default: ``../shared/images`` beside the repository).
- ``STYLECTL_REPORTS``: the folder of reports (default: ``Reports/`` in the repository).
- ``STYLECTL_SIZE``: the content and style size in pixels (default 256; CI uses 64).
"""

import os
import re
import shlex
import subprocess
from pathlib import Path

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
