"""Every accepted input type and shape gives the same stylization, and encodings are cached."""

import numpy as np
from PIL import Image

from conftest import SIZE

SIZES = {"content_size": SIZE, "style_size": SIZE}


def test_each_image_type_gives_the_same_result(stylizer, images):
    expected = stylizer.stylize(images["content"], images["style"], **SIZES)
    pixels = np.asarray(Image.open(images["content"]).convert("RGB"))
    style = np.asarray(Image.open(images["style"]).convert("RGB"))
    for content in (str(images["content"]), images["content"], Image.open(images["content"]), pixels,
                    pixels.astype(np.float32) / 255, pixels.astype(np.float64) / 255, np.asfortranarray(pixels)):
        for style_input in (images["style"], style, [style]):
            assert np.array_equal(stylizer.stylize(content, style_input, **SIZES), expected), (type(content), type(style_input))


def test_each_mask_type_gives_the_same_result(stylizer, images):
    styles = [images["style"], images["style2"]]
    expected = stylizer.stylize(images["content"], styles, mask=images["mask"], **SIZES)
    grey = np.asarray(Image.open(images["mask"]))
    assert grey.shape == (80, 96)
    for mask in (Image.open(images["mask"]), grey, grey > 127, grey.astype(np.float32) / 255, np.stack([grey] * 3, axis=2)):
        assert np.array_equal(stylizer.stylize(images["content"], styles, mask=mask, **SIZES), expected), type(mask)


def test_outputs_float_and_pil(stylizer, images):
    result = stylizer.stylization(images["content"], images["style"], **SIZES)
    floats = stylizer.stylize(images["content"], images["style"], output="float", **SIZES)
    assert floats.dtype == np.float32 and np.array_equal(floats, result.image)
    # The bytes are the floats quantised as stylectl's writers quantise them.
    assert np.array_equal(np.clip(np.floor(floats * np.float32(255) + np.float32(0.5)), 0, 255).astype(np.uint8), result.pixels)
    picture = stylizer.stylize(images["content"], images["style"], output="pil", **SIZES)
    assert picture.size == (76, 64) and np.array_equal(np.asarray(picture), result.pixels)


def test_t_g_t_and_encode(stylizer, images):
    """At alpha 0, t is f(c): the content's encoding, bit for bit; g(t) is the decoder's output."""
    result = stylizer.stylization(images["content"], images["style"], alpha=0, tensors=True, losses=True, **SIZES)
    features = stylizer.encode(images["content"], size=SIZE)
    assert features.shape == (1, 512, 8, 10) and features.dtype == np.float32
    assert np.array_equal(result.t, features)
    assert result.g_t.shape == (1, 3, 64, 80)
    assert set(result.losses) >= {"content", "style", "gramStyle", "colorDistance"}
    assert result.seconds > 0


def test_encodings_are_cached(stylizer, images):
    style = np.asarray(Image.open(images["style"]).convert("RGB"))
    first = stylizer.encode(style, role="style", size=SIZE)
    before = stylizer.info["styleCache"]
    again = stylizer.encode(style.copy(), role="style", size=SIZE)
    after = stylizer.info["styleCache"]
    assert np.array_equal(first, again)
    assert after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"]
    assert stylizer.model == "pytorch-adain"
