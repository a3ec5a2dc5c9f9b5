"""Bad inputs raise exceptions with stylectl's message, and the process lives on."""

import math

import numpy as np
import pytest

import stylectl
from conftest import SIZE, cli_error, run_cli

SIZES = {"content_size": SIZE, "style_size": SIZE}


def still_works(stylizer, images):
    assert stylizer.stylize(images["content"], images["style"], **SIZES).shape == (64, 76, 3)


@pytest.mark.parametrize("content, words", [
    (np.zeros((8, 8, 3), dtype=np.int64), "an array of dtype int64; give uint8 (0-255) or float (0-1)"),
    (np.zeros((8, 8, 4), dtype=np.uint8), "an array of shape (8, 8, 4); give H x W x 3"),
    (np.zeros((8, 8), dtype=np.uint8), "an array of shape (8, 8); give H x W x 3"),
    (np.zeros((0, 8, 3), dtype=np.uint8), "an empty array of shape (0, 8, 3)"),
    (np.full((8, 8, 3), np.nan, dtype=np.float32), "the float array holds NaN or infinite values"),
    (np.full((8, 8, 3), 2.0), "float values must be in [0, 1], got [2, 2]"),
    (12, "a int; give a file path, a PIL image or a NumPy array"),
])
def test_bad_arrays(stylizer, images, content, words):
    with pytest.raises(stylectl.InputError) as raised:
        stylizer.stylize(content, images["style"], **SIZES)
    assert str(raised.value) == f"content: {words}" or str(raised.value).startswith(f"content: {words}")
    still_works(stylizer, images)


@pytest.mark.parametrize("alpha", [math.nan, 1.5, -0.1])
def test_bad_alpha(stylizer, images, alpha):
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(images["content"], images["style"], alpha=alpha, **SIZES)
    assert str(raised.value) == f"alpha must be in [0, 1], got {'nan' if math.isnan(alpha) else alpha}"
    assert raised.value.code == 3
    still_works(stylizer, images)


def test_missing_weights_say_what_the_cli_says(binary, weights, images, tmp_path):
    missing = tmp_path / "no-such-vgg.pth"
    with pytest.raises(stylectl.WeightsError) as raised:
        stylectl.Stylizer(vgg=missing, decoder=weights["decoder"])
    expected = cli_error(run_cli(binary, "stylize", "--content", images["content"], "--style", images["style"],
                                 "--output", tmp_path / "out.png", "--vgg", missing, "--decoder", weights["decoder"]))
    assert str(raised.value) == expected
    assert str(missing) in expected and raised.value.code == 2


def test_mask_of_another_shape_says_what_the_cli_says(stylizer, binary, weights, images, tmp_path):
    styles = [images["style"], images["style2"]]
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(images["content"], styles, mask=images["mask_wide"], **SIZES)
    expected = cli_error(run_cli(binary, "stylize", "--content", images["content"], "--style", f"{styles[0]},{styles[1]}",
                                 "--mask", images["mask_wide"], "--content-size", SIZE, "--style-size", SIZE,
                                 "--output", tmp_path / "out.png", "--vgg", weights["vgg"], "--decoder", weights["decoder"]))
    assert str(raised.value) == expected
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(images["content"], styles, mask=np.zeros((30, 96), dtype=bool), **SIZES)
    assert "aspect" in str(raised.value) or "shape" in str(raised.value)
    still_works(stylizer, images)


def test_missing_content_says_what_the_cli_says(stylizer, binary, weights, images, tmp_path):
    missing = tmp_path / "nothing.png"
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(missing, images["style"], **SIZES)
    expected = cli_error(run_cli(binary, "stylize", "--content", missing, "--style", images["style"],
                                 "--output", tmp_path / "out.png", "--vgg", weights["vgg"], "--decoder", weights["decoder"]))
    assert str(raised.value) == expected
    still_works(stylizer, images)


def test_controls_refused_in_the_libraries_words(stylizer, images):
    styles = [images["style"], images["style2"]]
    cases = [
        (dict(weights=[1, math.nan]), stylectl.StylizationError),
        (dict(weights=[1]), stylectl.InputError),
        (dict(preserve_color="sepia"), stylectl.StylizationError),
        (dict(mask=images["mask"], mask_mode="fuzzy"), stylectl.StylizationError),
        (dict(mask=images["mask"], weights=[1, 2]), stylectl.StylizationError),
        (dict(content_size=20000), stylectl.StylizationError),
        (dict(content_size=-3), stylectl.InputError),
        (dict(tile=12), stylectl.StylizationError),
        (dict(max_memory="lots"), stylectl.MemoryLimitError),
        (dict(max_memory="1K"), stylectl.MemoryLimitError),
    ]
    for arguments, kind in cases:
        options = {**SIZES, **arguments}
        with pytest.raises(kind) as raised:
            stylizer.stylize(images["content"], styles, **options)
        assert str(raised.value), arguments
    with pytest.raises(stylectl.StylizationError, match="--mask"):
        stylizer.stylize(images["content"], images["style"], mask=images["mask"], **SIZES)
    still_works(stylizer, images)


def test_closed_stylizer(weights, images):
    closed = stylectl.Stylizer(**weights)
    closed.close()
    with pytest.raises(stylectl.StylectlError, match="closed"):
        closed.stylize(images["content"], images["style"], **SIZES)
