"""The Python API gives the bytes `stylectl stylize` writes, for each control."""

import numpy as np
import pytest

from conftest import SIZE, cli_stylize

SIZES = {"content_size": SIZE, "style_size": SIZE}


def test_single_style_equals_cli(stylizer, binary, weights, images, tmp_path):
    expected = cli_stylize(binary, weights, tmp_path / "out.png", "--content", images["content"], "--style", images["style"],
                           "--alpha", 0.75)
    result = stylizer.stylize(images["content"], images["style"], alpha=0.75, **SIZES)
    assert result.dtype == np.uint8 and result.shape == expected.shape == (64, 76, 3)
    assert np.array_equal(result, expected)


def test_interpolation_equals_cli(stylizer, binary, weights, images, tmp_path):
    expected = cli_stylize(binary, weights, tmp_path / "out.png", "--content", images["content"],
                           "--style", f'{images["style"]},{images["style2"]}', "--style-weights", "1,3")
    result = stylizer.stylize(images["content"], [images["style"], images["style2"]], weights=[1, 3], **SIZES)
    assert np.array_equal(result, expected)
    # The weights matter: equal weights give another image.
    assert not np.array_equal(stylizer.stylize(images["content"], [images["style"], images["style2"]], **SIZES), expected)


def test_mask_equals_cli(stylizer, binary, weights, images, tmp_path):
    expected = cli_stylize(binary, weights, tmp_path / "out.png", "--content", images["content"],
                           "--style", f'{images["style"]},{images["style2"]}', "--mask", images["mask"])
    result = stylizer.stylize(images["content"], [images["style"], images["style2"]], mask=images["mask"], **SIZES)
    assert np.array_equal(result, expected)


@pytest.mark.parametrize("mode", ["coral", "luminance"])
def test_colour_preservation_equals_cli(stylizer, binary, weights, images, tmp_path, mode):
    expected = cli_stylize(binary, weights, tmp_path / "out.png", "--content", images["content"], "--style", images["style"],
                           "--preserve-color", mode)
    result = stylizer.stylize(images["content"], images["style"], preserve_color=mode, **SIZES)
    assert np.array_equal(result, expected)


def test_losses_equal_the_sweep_manifest(stylizer, binary, weights, images, tmp_path):
    """The losses a sweep records for a cell are the API's for the same stylization."""
    from stylectl import run_sweep

    report = run_sweep({"content": [str(images["content"])], "style": [str(images["style"])], "alpha": [0.5, 1],
                        "content-size": SIZE, "style-size": SIZE, "report": "losses"},
                       reports_dir=tmp_path, vgg=weights["vgg"], decoder=weights["decoder"])
    assert len(report.cells) == 2
    rows = report.cells.to_dict("records") if hasattr(report.cells, "to_dict") else report.cells
    for row in rows:
        losses = stylizer.losses(images["content"], images["style"], alpha=row["alpha"], **SIZES)
        assert losses["content"] == pytest.approx(row["contentLoss"], rel=1e-12)
        assert losses["style"] == pytest.approx(row["styleLoss"], rel=1e-12)
    assert report.sheets, "the sweep draws its contact sheet"


def test_tiles_equal_cli(stylizer, binary, weights, images, tmp_path):
    """A content larger than --tile is stylized in tiles by both, to the same bytes; a tiled
    stylization holds no t or g(t)."""
    finished = cli_stylize(binary, weights, tmp_path / "out.png", "--content", images["content"], "--style", images["style"],
                           sizes=("--content-size", 0, "--style-size", SIZE, "--tile", 64))
    result = stylizer.stylization(images["content"], images["style"], content_size=0, style_size=SIZE, tile=64, tensors=True)
    assert result.pixels.shape == (80, 96, 3) and np.array_equal(result.pixels, finished)
    assert result.t is None and result.g_t is None
    whole = stylizer.stylize(images["content"], images["style"], content_size=0, style_size=SIZE)
    assert np.abs(whole.astype(int) - result.pixels.astype(int)).max() <= 1

