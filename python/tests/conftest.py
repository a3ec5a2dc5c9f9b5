"""Shared fixtures: the stylectl binary, the seeded golden weights, small test images.

Environment: STYLECTL (default: .build/debug/stylectl), STYLECTL_VGG / STYLECTL_DECODER (default:
.goldens/network/vgg_legacy.pth and decoder_legacy.pth, seeded weights of the real sizes),
STYLECTL_IMAGES (default: ../shared/images beside the repository).
"""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import stylectl

REPO = Path(__file__).resolve().parent.parent.parent
SIZE = 64


def _path(variable: str, default: Path) -> Path:
    path = Path(os.environ.get(variable) or default)
    if not path.exists():
        pytest.exit(f"{path} is missing: set {variable} (see python/tests/conftest.py)", returncode=2)
    return path


@pytest.fixture(scope="session")
def binary() -> Path:
    return _path("STYLECTL", REPO / ".build" / "debug" / "stylectl")


@pytest.fixture(scope="session")
def weights() -> dict:
    return {"vgg": str(_path("STYLECTL_VGG", REPO / ".goldens" / "network" / "vgg_legacy.pth")),
            "decoder": str(_path("STYLECTL_DECODER", REPO / ".goldens" / "network" / "decoder_legacy.pth"))}


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> dict:
    """Small PNGs made from the paper's test images: a 96 x 80 content (not square, sides not
    multiples of 8), two 64 px styles, a two-region mask of the content's shape and one of
    another shape."""
    source = _path("STYLECTL_IMAGES", REPO.parent / "shared" / "images")
    folder = tmp_path_factory.mktemp("inputs")
    made = {}
    for name, relative, size in (("content", "content/cornell.jpg", (96, 80)), ("style", "style/mondrian.jpg", (64, 64)),
                                 ("style2", "style/sketch.png", (72, 64))):
        path = folder / f"{name}.png"
        Image.open(source / relative).convert("RGB").resize(size, Image.BILINEAR).save(path)
        made[name] = path
    mask = np.zeros((80, 96), dtype=np.uint8)
    mask[:, :48] = 255
    Image.fromarray(mask).save(folder / "mask.png")
    made["mask"] = folder / "mask.png"
    Image.fromarray(np.zeros((30, 96), dtype=np.uint8)).save(folder / "mask-wide.png")
    made["mask_wide"] = folder / "mask-wide.png"
    return made


@pytest.fixture(scope="session")
def stylizer(weights):
    with stylectl.Stylizer(**weights) as loaded:
        yield loaded


def run_cli(binary: Path, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *map(str, arguments)], capture_output=True, text=True)


def cli_stylize(binary: Path, weights: dict, output: Path, *arguments, sizes=("--content-size", SIZE, "--style-size", SIZE)) -> np.ndarray:
    """The pixels `stylectl stylize` writes (PNG) for these arguments, at 64 px unless `sizes` says otherwise."""
    finished = run_cli(binary, "stylize", *arguments, *sizes, "--vgg", weights["vgg"], "--decoder", weights["decoder"],
                       "--output", output)
    assert finished.returncode == 0, finished.stderr
    return np.asarray(Image.open(output).convert("RGB"))


def cli_error(finished: subprocess.CompletedProcess) -> str:
    """The message of a failed command: what follows its last `Error: `, to the end."""
    assert finished.returncode != 0
    start = finished.stderr.rfind("Error: ")
    assert start >= 0, finished.stderr
    return finished.stderr[start + len("Error: "):].strip()
