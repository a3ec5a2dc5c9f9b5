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

Images are loaded as test.py does (Resize(64) of the shorter side, ToTensor).
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


def encode_with_intermediate(x):
    feats = []
    for start, end, _ in ref.ENCODER_STAGES:
        x = ref.vgg[start:end](x)
        feats.append(x)
    return feats


def style_loss(a, b):
    mse = nn.MSELoss()
    am, astd = ref.calc_mean_std(a)
    bm, bstd = ref.calc_mean_std(b)
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
                                  "content_loss": loss_c.item(), "style_loss": loss_s.item()})
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"size": SIZE, "cells": cells}, f, indent=1)


if __name__ == "__main__":
    main()
