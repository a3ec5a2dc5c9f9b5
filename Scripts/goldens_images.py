"""Writes the image-codec references (PIL 9.4 / torchvision 0.14) to .goldens/images/.

Usage: /usr/bin/python3 Scripts/goldens_images.py [OUTDIR]

Every image array is raw uint8 (*.u8) or little-endian float32 (*.f32) in torchvision's ToTensor
layout: planar CHW, channels R, G, B. index.json lists them (paths relative to OUTDIR; "source"
paths relative to ../shared/images):
- decode: every JPEG of content/ and style/ plus style/sketch.png, as
  Image.open(p).convert('RGB') gives it: size and CRC-32 of the CHW bytes; a few also in full.
- jpeg: synthetic greyscale and CMYK JPEGs saved by PIL, with PIL's decoded RGB bytes.
- resize: transforms.Resize(N) (and CenterCrop(N)) results for several images and N, upscaling
  and downscaling, plus CenterCrop alone (padding and half-way rounding cases).
- png: synthetic PNGs written byte by byte here (16-bit, grey, grey+alpha, palette with tRNS,
  RGBA, colour-key tRNS, 1 and 4-bit, Adam7 interlacing, gAMA chunks that must be ignored), with
  the expected values computed in float64 by numpy from the raw samples, composited on white
  (a * c + (1 - a)), then cast to float32.
- save_image: a float tensor (values outside [0, 1], halfway cases, infinities) saved with
  torchvision.utils.save_image, and the bytes PIL reads back from that PNG.
"""

import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.utils import save_image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "images")

FULL_DECODES = ["content/cornell.jpg", "content/brad_pitt.jpg", "content/modern.jpg",
                "style/mondrian.jpg", "style/the_resevoir_at_poitiers.jpg", "style/sketch.png"]
RESIZES = [  # (source, sizes, also with CenterCrop)
    ("content/cornell.jpg", [64, 100, 256, 333, 512], [256]),
    ("content/avril.jpg", [100, 512], [512]),
    ("style/goeritz.jpg", [256], []),
    ("style/flower_of_life.jpg", [512], [512]),
    ("style/trial.jpg", [512], [512]),          # 512 x 418: the height is upscaled
    ("style/sketch.png", [512, 1024], [1024]),  # 300 x 300: upscaling
    ("noise.png", [1, 7, 33, 60, 62, 150, 400], [33]),  # 97 x 61 random noise, made here
]
CROPS = [("content/cornell.jpg", 100), ("content/cornell.jpg", 600), ("style/sketch.png", 333),
         ("style/trial.jpg", 417)]


def chw(image):
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1))


def save(out, name, array, dtype):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.ascontiguousarray(array).astype(dtype).tofile(path)
    return name


# ---- a minimal PNG writer, so that every byte of the test files is known -------------------

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_rows(samples, bit_depth):
    """samples: (h, w * channels) integers -> packed big-endian rows."""
    h = samples.shape[0]
    if bit_depth == 16:
        return samples.astype(">u2").reshape(h, -1).view(np.uint8)
    if bit_depth == 8:
        return samples.astype(np.uint8)
    per_byte = 8 // bit_depth
    padded = np.zeros((h, -(-samples.shape[1] // per_byte) * per_byte), dtype=np.uint8)
    padded[:, :samples.shape[1]] = samples
    groups = padded.reshape(h, -1, per_byte)
    packed = np.zeros(groups.shape[:2], dtype=np.uint8)
    for i in range(per_byte):
        packed |= (groups[:, :, i] << (8 - bit_depth * (i + 1))).astype(np.uint8)
    return packed


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, color_type, bit_depth, palette=None, trns=None, gama=None, interlace=False):
    """samples: (h, w, channels) integer array of raw sample values."""
    h, w, channels = samples.shape
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        rows = pack_rows(sub.reshape(sub.shape[0], -1), bit_depth)
        raw += b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, int(interlace)))
    if gama is not None:
        png += chunk(b"gAMA", struct.pack(">I", gama))
    if palette is not None:
        png += chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes())
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def composite(rgb, alpha, maximum):
    """float64 in [0, 1] composited on white, as float32 CHW."""
    c = rgb.astype(np.float64) / maximum
    if alpha is not None:
        a = alpha.astype(np.float64)[..., None] / maximum
        c = a * c + (1 - a)
    return c.astype(np.float32).transpose(2, 0, 1)


def png_cases(out, rng):
    os.makedirs(os.path.join(out, "png"), exist_ok=True)
    cases = []

    def add(name, samples, color_type, bit_depth, rgb, alpha, maximum, **extra):
        path = f"png/{name}.png"
        write_png(os.path.join(out, path), samples, color_type, bit_depth, **extra)
        expected = composite(rgb, alpha, maximum)
        cases.append({"file": path, "width": samples.shape[1], "height": samples.shape[0],
                      "expected": save(out, f"png/{name}.f32", expected, "<f4")})

    h, w = 23, 37
    rgb16 = rng.integers(0, 65536, (h, w, 3))
    rgb16[0, :4] = [[0, 0, 0], [65535, 65535, 65535], [1, 256, 65534], [32767, 32768, 255]]
    add("rgb16_gamma", rgb16, 2, 16, rgb16, None, 65535, gama=100000)
    grey16 = rng.integers(0, 65536, (h, w, 1))
    add("grey16", grey16, 0, 16, np.repeat(grey16, 3, axis=2), None, 65535)
    rgba16 = rng.integers(0, 65536, (h, w, 4))
    rgba16[0, :3, 3] = [0, 65535, 1]
    add("rgba16", rgba16, 6, 16, rgba16[..., :3], rgba16[..., 3], 65535, gama=45455)
    la8 = rng.integers(0, 256, (h, w, 2))
    la8[0, :2, 1] = [0, 255]
    add("grey_alpha8", la8, 4, 8, np.repeat(la8[..., :1], 3, axis=2), la8[..., 1], 255)
    la16 = rng.integers(0, 65536, (h, w, 2))
    add("grey_alpha16", la16, 4, 16, np.repeat(la16[..., :1], 3, axis=2), la16[..., 1], 65535)
    rgba8 = rng.integers(0, 256, (h, w, 4))
    add("rgba8", rgba8, 6, 8, rgba8[..., :3], rgba8[..., 3], 255)
    rgb8 = rng.integers(0, 256, (h, w, 3))
    add("rgb8_gamma", rgb8, 2, 8, rgb8, None, 255, gama=100000)
    add("rgb8_interlaced", rgb8, 2, 8, rgb8, None, 255, interlace=True)
    add("rgba16_interlaced", rgba16, 6, 16, rgba16[..., :3], rgba16[..., 3], 65535, interlace=True)

    palette = rng.integers(0, 256, (200, 3))
    alphas = rng.integers(0, 256, 120)  # entries 120... are opaque
    alphas[:2] = [0, 255]
    index = rng.integers(0, 200, (h, w, 1))
    alpha_of = np.concatenate([alphas, np.full(80, 255)])
    add("palette_trns", index, 3, 8, palette[index[..., 0]], alpha_of[index[..., 0]], 255,
        palette=palette, trns=alphas.astype(np.uint8).tobytes())
    palette4 = rng.integers(0, 256, (16, 3))
    alphas4 = np.array([0, 128, 255, 7], dtype=np.uint8)
    index4 = rng.integers(0, 16, (h, w, 1))
    alpha4_of = np.concatenate([alphas4, np.full(12, 255, dtype=np.uint8)])
    add("palette4_trns", index4, 3, 4, palette4[index4[..., 0]], alpha4_of[index4[..., 0]], 255,
        palette=palette4, trns=alphas4.tobytes())

    grey1 = rng.integers(0, 2, (h, w, 1))
    add("grey1", grey1, 0, 1, np.repeat(grey1, 3, axis=2), None, 1)
    key = np.array([10, 200, 30])
    rgb8_key = rng.integers(0, 256, (h, w, 3))
    rgb8_key[::3, ::2] = key
    add("rgb8_colorkey", rgb8_key, 2, 8, rgb8_key, np.where((rgb8_key == key).all(axis=2), 0, 255), 255,
        trns=struct.pack(">HHH", *key))
    grey8 = rng.integers(0, 256, (h, w, 1))
    add("grey8", grey8, 0, 8, np.repeat(grey8, 3, axis=2), None, 255)
    return cases


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "images")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    index = {"pil": Image.__version__, "torchvision": __import__("torchvision").__version__}

    # Decoding: every JPEG of content/ and style/, and the PNG style image.
    decode = []
    files = sorted(f"{d}/{n}" for d in ("content", "style") for n in os.listdir(os.path.join(SHARED, d)))
    for rel in files:
        if not rel.endswith((".jpg", ".png")):
            continue
        data = chw(Image.open(os.path.join(SHARED, rel)))
        entry = {"source": rel, "width": data.shape[2], "height": data.shape[1],
                 "crc32": zlib.crc32(data.tobytes()) & 0xFFFFFFFF}
        if rel in FULL_DECODES:
            entry["bytes"] = save(out, "decode/" + rel.replace("/", "_") + ".u8", data, np.uint8)
        decode.append(entry)
    index["decode"] = decode

    # Synthetic JPEGs in the modes PIL converts: greyscale (L) and CMYK.
    photo = Image.open(os.path.join(SHARED, "content/brad_pitt.jpg")).convert("RGB").resize((160, 120))
    jpegs = []
    os.makedirs(os.path.join(out, "jpeg"), exist_ok=True)
    for name, image, options in (("grey", photo.convert("L"), {}), ("cmyk", photo.convert("CMYK"), {}),
                                 ("progressive_422", photo, {"progressive": True, "subsampling": 1})):
        path = f"jpeg/{name}.jpg"
        image.save(os.path.join(out, path), quality=90, **options)
        decoded = Image.open(os.path.join(out, path))
        jpegs.append({"file": path, "mode": decoded.mode, "width": decoded.width, "height": decoded.height,
                      "bytes": save(out, f"jpeg/{name}.u8", chw(decoded), np.uint8)})
    index["jpeg"] = jpegs

    # Resizing (and cropping) as pytorch-AdaIN's test_transform does.
    noise = Image.fromarray(rng.integers(0, 256, (61, 97, 3), dtype=np.uint8))
    noise.save(os.path.join(out, "noise.png"))
    resize = []
    for rel, sizes, crops in RESIZES:
        source_path = os.path.join(out, rel) if rel == "noise.png" else os.path.join(SHARED, rel)
        image = Image.open(source_path).convert("RGB")
        for size in sizes:
            for crop in ([False, True] if size in crops else [False]):
                steps = [transforms.Resize(size)] + ([transforms.CenterCrop(size)] if crop else [])
                result = chw(transforms.Compose(steps)(image))
                name = f"resize/{os.path.splitext(os.path.basename(rel))[0]}_{size}{'_crop' if crop else ''}.u8"
                resize.append({"source": rel, "size": size, "crop": crop, "width": result.shape[2],
                               "height": result.shape[1], "bytes": save(out, name, result, np.uint8)})
    index["resize"] = resize
    index["noise"] = "noise.png"
    crop = []
    for rel, size in CROPS:
        result = chw(transforms.CenterCrop(size)(Image.open(os.path.join(SHARED, rel)).convert("RGB")))
        name = f"crop/{os.path.splitext(os.path.basename(rel))[0]}_{size}.u8"
        crop.append({"source": rel, "size": size, "bytes": save(out, name, result, np.uint8)})
    index["crop"] = crop

    index["png"] = png_cases(out, rng)

    # save_image: torchvision's quantisation, including clamping and halfway values.
    k = np.arange(256, dtype=np.float64)
    special = np.concatenate([k / 255, (k + 0.5) / 255, np.nextafter((k + 0.5) / 255, 2), np.nextafter((k + 0.5) / 255, -1),
                              [-np.inf, np.inf, -1e9, 1e9, -0.5, 1.5, -1e-8, 1 + 1e-7, 0.5 / 255, 254.5 / 255]]).astype(np.float32)
    height, width = 32, 48
    values = np.concatenate([special, rng.uniform(-0.3, 1.3, 3 * height * width - special.size)]).astype(np.float32)
    tensor = torch.from_numpy(values.reshape(3, height, width))
    save_image(tensor, os.path.join(out, "save_image.png"))
    index["save_image"] = {
        "width": width, "height": height, "input": save(out, "save_image_input.f32", values, "<f4"),
        "png": "save_image.png", "bytes": save(out, "save_image.u8", chw(Image.open(os.path.join(out, "save_image.png"))), np.uint8),
    }

    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
