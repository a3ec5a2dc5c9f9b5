"""Writes the reference of stylectl's colour-fidelity metric to .goldens/colour/.

Usage: /usr/bin/python3 Scripts/goldens_colour.py [OUTDIR]

The metric (StyleTransfer's `chromaDistance`): both images converted from sRGB to CIELAB (D65
white, IEC 61966-2-1 transfer function, the sRGB-to-XYZ matrix of IEC 61966-2-1), each image's
chroma (a*, b*) fitted by a Gaussian (mean and biased 2x2 covariance over its pixels), and the
2-Wasserstein distance between the two Gaussians:

    W2^2 = |m1 - m2|^2 + tr(S1 + S2 - 2 (S2^(1/2) S1 S2^(1/2))^(1/2))

in CIELAB units (like a colour difference, Delta E). Here the matrix square roots come from
numpy's symmetric eigendecomposition (stylectl uses the closed form of 2x2 matrices). Writes two
seeded images (PNG, 8-bit) of 37 x 23 pixels, a.png and b.png, and distance.json with W2 between
them and W2 of a.png with itself (0).
"""

import json
import os
import sys

import numpy as np
from PIL import Image

WHITE = np.array([0.95047, 1.0, 1.08883])
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])


def lab_chroma(rgb):
    """(N, 3) sRGB in [0, 1] -> (N, 2) a*, b*."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T / WHITE
    delta = 6 / 29
    f = np.where(xyz > delta ** 3, np.cbrt(xyz), xyz / (3 * delta ** 2) + 4 / 29)
    return np.stack([500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def sqrtm(m):
    values, vectors = np.linalg.eigh(m)
    return vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T


def w2(a, b):
    ca, cb = lab_chroma(a), lab_chroma(b)
    ma, mb = ca.mean(axis=0), cb.mean(axis=0)
    sa, sb = np.cov(ca.T, bias=True), np.cov(cb.T, bias=True)
    root = sqrtm(sb)
    cross = sqrtm(root @ sa @ root)
    return float(np.sqrt(max(np.sum((ma - mb) ** 2) + np.trace(sa + sb - 2 * cross), 0)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".goldens", "colour")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    # Two differently tinted noise images, so that both the means and the covariances differ.
    a = np.clip(rng.normal([0.6, 0.4, 0.3], [0.15, 0.1, 0.1], size=(23, 37, 3)), 0, 1)
    b = np.clip(rng.normal([0.3, 0.5, 0.6], [0.05, 0.2, 0.1], size=(23, 37, 3)), 0, 1)
    images = {}
    for name, pixels in (("a", a), ("b", b)):
        byte = np.round(pixels * 255).astype(np.uint8)
        Image.fromarray(byte, "RGB").save(os.path.join(out, name + ".png"))
        images[name] = byte.reshape(-1, 3).astype(np.float64) / 255
    with open(os.path.join(out, "distance.json"), "w") as f:
        json.dump({"ab": w2(images["a"], images["b"]), "aa": w2(images["a"], images["a"])}, f, indent=1)


if __name__ == "__main__":
    main()
