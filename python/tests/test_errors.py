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
        (dict(weights=[1]), stylectl.StylizationError),
        (dict(weights=["heavy", 1]), stylectl.InputError),
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


def test_png_bomb_is_refused_before_decoding(stylizer, binary, weights, images, tmp_path):
    """A 60-byte PNG declaring 20000 x 20000 pixels is refused from its header, in the CLI's words."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(bomb, images["style"], **SIZES)
    expected = cli_error(run_cli(binary, "stylize", "--content", bomb, "--style", images["style"], "--content-size", SIZE,
                                 "--style-size", SIZE, "--output", tmp_path / "out.png", "--vgg", weights["vgg"],
                                 "--decoder", weights["decoder"]))
    assert str(raised.value) == expected and "20000" in expected
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.encode(bomb, role="style")
    assert "20000" in str(raised.value)
    still_works(stylizer, images)


def test_the_c_api_refuses_misuse(stylizer, images):
    """Called directly (as C callers would), NULL pointers, negative counts and unknown flags are
    statuses with a message, not crashes."""
    import ctypes

    from stylectl import _capi

    library = _capi.library()
    message = ctypes.c_void_p()
    result = ctypes.POINTER(_capi.Result)()
    controls = _capi.Controls()
    styles = (ctypes.c_char_p * 1)(str(images["style"]).encode())
    controls.styles, controls.style_count, controls.alpha = styles, 1, 1.0
    content = str(images["content"]).encode()
    with stylizer._live() as handle:
        cases = [
            (None, content, ctypes.byref(controls), 0, "the stylizer is NULL"),
            (handle, None, ctypes.byref(controls), 0, "the content path is NULL"),
            (handle, content, None, 0, "the controls are NULL"),
            (handle, content, ctypes.byref(controls), 8, "unknown flags 8"),
        ]
        for stylizer_handle, path, given, flags, words in cases:
            status = library.stylectl_stylize(stylizer_handle, path, given, None, flags, ctypes.byref(result), ctypes.byref(message))
            assert status == _capi.ERROR_ARGUMENT and not result
            assert words in _capi.take_string(message)
        controls.style_count = -1
        assert library.stylectl_stylize(handle, content, ctypes.byref(controls), None, 0, ctypes.byref(result),
                                        ctypes.byref(message)) == _capi.ERROR_ARGUMENT
        assert "style_count is negative (-1)" in _capi.take_string(message)
        controls.style_count, controls.styles = 2, None
        assert library.stylectl_stylize(handle, content, ctypes.byref(controls), None, 0, ctypes.byref(result),
                                        ctypes.byref(message)) == _capi.ERROR_ARGUMENT
        assert "styles is NULL with style_count 2" in _capi.take_string(message)
        tensor = ctypes.POINTER(_capi.Tensor)()
        assert library.stylectl_encode(handle, content, 7, None, ctypes.byref(tensor), ctypes.byref(message)) == _capi.ERROR_ARGUMENT
        assert "role must be 0 (content) or 1 (style), got 7" in _capi.take_string(message)
    assert library.stylectl_stylizer_load(None, None, b"lua", None, ctypes.byref(ctypes.c_void_p()), ctypes.byref(message)) == _capi.ERROR_ARGUMENT
    assert _capi.take_string(message) == "unknown model 'lua': use one of pytorch-adain, torch, seed"
    # Every free function takes NULL.
    library.stylectl_result_free(None)
    library.stylectl_tensor_free(None)
    library.stylectl_string_free(None)
    library.stylectl_stylizer_free(None)
    still_works(stylizer, images)


def test_close_waits_for_calls_in_flight(weights, images):
    import threading

    own = stylectl.Stylizer(**weights)
    results = []

    def stylize():
        try:
            results.append(own.stylize(images["content"], images["style"], **SIZES))
        except stylectl.StylectlError as error:
            results.append(str(error))

    worker = threading.Thread(target=stylize)
    worker.start()
    own.close()
    worker.join()
    # Either the call ran before the handle was freed, or it found the stylizer closed: never a crash.
    assert len(results) == 1 and (results[0] == "this Stylizer is closed" if isinstance(results[0], str) else results[0].shape == (64, 76, 3))
    with pytest.raises(stylectl.StylectlError, match="closed"):
        own.encode(images["content"])


def test_weights_of_another_count_say_what_the_cli_says(stylizer, binary, weights, images, tmp_path):
    styles = [images["style"], images["style2"]]
    with pytest.raises(stylectl.StylizationError) as raised:
        stylizer.stylize(images["content"], styles, weights=[1, 2, 3], **SIZES)
    expected = cli_error(run_cli(binary, "stylize", "--content", images["content"], "--style", f"{styles[0]},{styles[1]}",
                                 "--style-weights", "1,2,3", "--output", tmp_path / "out.png",
                                 "--vgg", weights["vgg"], "--decoder", weights["decoder"]))
    assert str(raised.value) == expected
    still_works(stylizer, images)


def test_failed_sweep_and_missing_report(binary, weights, tmp_path):
    missing = tmp_path / "nothing.jpg"
    with pytest.raises(stylectl.StylectlError) as raised:
        stylectl.run_sweep({"content": [str(missing)], "style": [str(missing)], "alpha": [1], "report": "r"},
                           reports_dir=tmp_path, vgg=weights["vgg"], decoder=weights["decoder"])
    assert str(missing) in str(raised.value) and not str(raised.value).startswith("Error:")
    with pytest.raises(stylectl.StylectlError, match="no manifest.json"):
        stylectl.load_report(tmp_path / "no-report")
