"""Writes PyTorch reference losses for `stylectl sweep`'s metrics to .goldens/reports/metrics.json.

Usage: /usr/bin/python3 Scripts/goldens_reports.py [OUTDIR]

The weights are the seeded ones of .goldens/network/ (vgg_legacy.pth, decoder_legacy.pth; this
script runs after goldens_network.py). The losses are pytorch-AdaIN's net.py `Net.forward`
(MIT licence), with the alpha blend of test.py applied to the target before decoding:

    style_feats = encode_with_intermediate(style); content_feat = encode(content)
    t = alpha * adain(content_feat, style_feats[-1]) + (1 - alpha) * content_feat
    g_t = decoder(t); g_t_feats = encode_with_intermediate(g_t)
    loss_c = mse(g_t_feats[-1], t)
    loss_s = sum_i mse(mean(g_t_feats[i]), mean(style_feats[i])) + mse(std(...), std(...))

Interpolation cells (`mixed`): test.py's style interpolation, t = sum_k w_k adain(content_feat,
style_feats_k[-1]) accumulated from zero, then the alpha blend; the style loss's targets are the
weighted sums sum_k w_k mean_i(s_k) and sum_k w_k std_i(s_k) of the styles' statistics at each
layer i (stylectl's definition for several weighted styles):

    loss_s = sum_i mse(mean(g_t_feats[i]), sum_k w_k mean(style_feats_k[i])) + mse(std(...), ...)

Gatys et al.'s Gram-matrix style loss (`gram_style_loss`): G(f) = F F^T / (C H W) in float64,
sum_i mean((G(g_t_feats[i]) - G_i)^2), G_i the style's (the weighted sum of the styles' for `mixed`).

Images are loaded as test.py does (Resize(64) of the shorter side, ToTensor).

The two style losses on identical inputs (no network between them and stylectl): seeded random
features of the four layers' shapes, `gram_out_i` standing for f_i(g(t)) and `gram_style_i` for
f_i(s), written as raw float32 with index.json (Tests/TestSupport/ArrayGoldens.swift's format),
and the losses computed from those float32 values in float64: `gram_loss` (as above) and
`mean_std_loss` (Eq. 8: unbiased variance + 1e-5 under the square root).
"""

import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IMAGES = os.path.join(ROOT, "..", "shared", "images")
SIZE = 64
CONTENTS = ["content/cornell.jpg"]
STYLES = ["style/mondrian.jpg", "style/sketch.png"]
ALPHAS = [0.0, 0.5, 1.0]
# (styles, weights, alpha): a 1-D interpolation cell (u = 0.5) and a bilinear one (u = 1, v = 0.5
# over the corners mondrian, sketch, asheville, brushstrokes; weights (1-u)(1-v), u(1-v), (1-u)v, uv).
MIXED = [
    (["style/mondrian.jpg", "style/sketch.png"], [0.5, 0.5], 1.0),
    (["style/mondrian.jpg", "style/sketch.png", "style/asheville.jpg", "style/brushstrokes.jpg"],
     [0.0, 0.5, 0.0, 0.5], 0.75),
]


def encode_with_intermediate(x):
    feats = []
    for start, end, _ in ref.ENCODER_STAGES:
        x = ref.vgg[start:end](x)
        feats.append(x)
    return feats


def gram(f):
    """Gatys et al.'s Gram matrix, normalised as PyTorch's neural-style tutorial: F F^T / (C H W)."""
    _, c, h, w = f.shape
    flat = f.reshape(c, h * w).double()
    return flat @ flat.T / (c * h * w)


def gram_loss_to(a, grams):
    return sum(float(((gram(f) - g) ** 2).mean()) for f, g in zip(a, grams))


def style_loss(a, b):
    bm, bstd = ref.calc_mean_std(b)
    return style_loss_to(a, bm, bstd)


def style_loss_to(a, bm, bstd):
    mse = nn.MSELoss()
    am, astd = ref.calc_mean_std(a)
    return mse(am, bm) + mse(astd, bstd)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".goldens", "reports")
    os.makedirs(out, exist_ok=True)
    network = os.path.join(ROOT, ".goldens", "network")
    ref.vgg.load_state_dict(torch.load(os.path.join(network, "vgg_legacy.pth")))
    ref.decoder.load_state_dict(torch.load(os.path.join(network, "decoder_legacy.pth")))
    ref.vgg.eval()
    ref.decoder.eval()
    mse = nn.MSELoss()
    cells = []
    with torch.no_grad():
        for content_name in CONTENTS:
            content = ref.load_image(os.path.join(IMAGES, content_name), SIZE)
            content_feat = encode_with_intermediate(content)[-1]
            for style_name in STYLES:
                style = ref.load_image(os.path.join(IMAGES, style_name), SIZE)
                style_feats = encode_with_intermediate(style)
                for alpha in ALPHAS:
                    t = ref.adaptive_instance_normalization(content_feat, style_feats[-1])
                    t = alpha * t + (1 - alpha) * content_feat
                    g_t = ref.decoder(t)
                    g_t_feats = encode_with_intermediate(g_t)
                    loss_c = mse(g_t_feats[-1], t)
                    loss_s = sum(style_loss(g_t_feats[i], style_feats[i]) for i in range(4))
                    cells.append({"content": content_name, "style": style_name, "alpha": alpha,
                                  "content_loss": loss_c.item(), "style_loss": loss_s.item(),
                                  "gram_style_loss": gram_loss_to(g_t_feats, [gram(f) for f in style_feats])})
            mixed = []
            for style_names, weights, alpha in MIXED:
                feats = [encode_with_intermediate(ref.load_image(os.path.join(IMAGES, name), SIZE)) for name in style_names]
                t = 0
                for w, f in zip(weights, feats):
                    t = t + w * ref.adaptive_instance_normalization(content_feat, f[-1])
                t = alpha * t + (1 - alpha) * content_feat
                g_t = ref.decoder(t)
                g_t_feats = encode_with_intermediate(g_t)
                loss_c = mse(g_t_feats[-1], t)
                loss_s = 0
                for i in range(4):
                    stats = [ref.calc_mean_std(f[i]) for f in feats]
                    mean = sum(w * m for w, (m, _) in zip(weights, stats))
                    std = sum(w * sd for w, (_, sd) in zip(weights, stats))
                    loss_s = loss_s + style_loss_to(g_t_feats[i], mean, std)
                grams = [sum(w * gram(f[i]) for w, f in zip(weights, feats)) for i in range(4)]
                mixed.append({"content": content_name, "styles": style_names, "weights": weights, "alpha": alpha,
                              "content_loss": loss_c.item(), "style_loss": loss_s.item(),
                              "gram_style_loss": gram_loss_to(g_t_feats, grams)})
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"size": SIZE, "cells": cells, "mixed": mixed}, f, indent=1)
    write_identical_inputs(out)


def write_identical_inputs(out):
    """The losses of seeded random features, for a check with no network in between."""
    generator = torch.Generator().manual_seed(11)
    shapes = [(1, 64, 24, 20), (1, 128, 12, 10), (1, 256, 6, 5), (1, 512, 3, 3)]
    arrays, gram_loss, mean_std_loss = {}, 0.0, 0.0
    for i, shape in enumerate(shapes):
        # ReLU features: non-negative, a spread of scales across channels.
        scale = torch.rand(shape[1], 1, 1, generator=generator) * 3
        a = (torch.randn(shape, generator=generator) * scale + 0.3).clamp(min=0)
        b = (torch.randn(shape, generator=generator) * scale * 1.5 + 0.1).clamp(min=0)
        arrays[f"gram_out_{i}"], arrays[f"gram_style_{i}"] = a, b
        gram_loss += float(((gram(a) - gram(b)) ** 2).mean())
        am, bm = a.double().mean(dim=(2, 3)), b.double().mean(dim=(2, 3))
        astd = (a.double().var(dim=(2, 3), unbiased=True) + 1e-5).sqrt()
        bstd = (b.double().var(dim=(2, 3), unbiased=True) + 1e-5).sqrt()
        mean_std_loss += float(((am - bm) ** 2).mean() + ((astd - bstd) ** 2).mean())
    index = {"arrays": {}, "scalars": {"gram_loss": gram_loss, "mean_std_loss": mean_std_loss}}
    for name, t in arrays.items():
        t.numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
        index["arrays"][name] = list(t.shape)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
