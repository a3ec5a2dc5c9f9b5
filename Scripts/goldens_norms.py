"""Writes PyTorch autograd references for conditional instance normalisation to .goldens/norms/.

Usage: /usr/bin/python3 Scripts/goldens_norms.py [OUTDIR]

- cin: CIN(x, s) = gamma_s * (x - mean(x)) / std(x) + beta_s (Dumoulin et al. 2017) with
  pytorch-AdaIN's calc_mean_std, on a seeded x (2, 6, 4, 5), gamma and beta (3, 6), style 1; an
  upstream gradient g (the loss is sum(out * g)) and autograd's gradients of gamma and beta.
- learn: CIN learning through tiny seeded networks (an encoder with the VGG encoder's structure,
  3 -> 4 -> 4 | 6 | 6 | 8 channels, features relu1_1 ... relu4_1; a decoder 8 -> 4 -> 4 -> 3 with
  three nearest upsamplings): for each of 2 styles, gamma 1 and beta 0, then torch.optim.Adam on
  (gamma_s, beta_s) minimising mse(f(g(t)), t.detach()) + style_weight * pytorch-AdaIN's style
  loss of g(t), t = CIN(f(c), s), one content image; the loss before each step and the final
  parameters.
index.json gives every array's shape and the scalars; arrays are raw little-endian float32 (*.f32).
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_adain import calc_mean_std, calc_style_loss, seeded_conv, tiny_encoder  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cin(x, gamma, beta):
    """gamma, beta: (C,), one style's row; the order of operations of adaptive_instance_normalization."""
    mean, std = calc_mean_std(x)
    return (x - mean.expand(x.size())) / std.expand(x.size()) * gamma.view(1, -1, 1, 1) + beta.view(1, -1, 1, 1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "norms")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(7)
    arrays, scalars = {}, {}

    def save(name, t):
        arrays[name] = t.detach().float().clone().contiguous()

    # The CIN layer alone.
    x = torch.randn(2, 6, 4, 5) * 2 + 0.5
    gamma = (torch.rand(3, 6) + 0.5).requires_grad_(True)
    beta = torch.randn(3, 6).requires_grad_(True)
    style = 1
    y = cin(x, gamma[style], beta[style])
    g = torch.randn_like(y)
    (y * g).sum().backward()
    for name, t in (("cin_x", x), ("cin_gamma", gamma), ("cin_beta", beta), ("cin_out", y), ("cin_g", g),
                    ("cin_dgamma", gamma.grad), ("cin_dbeta", beta.grad)):
        save(name, t)
    scalars["cin_style"] = style

    # Tiny networks.
    enc_convs, encode_with_intermediate = tiny_encoder()
    dec_convs = [seeded_conv(8, 4), seeded_conv(4, 4), seeded_conv(4, 3), seeded_conv(3, 3)]
    up = nn.Upsample(scale_factor=2, mode='nearest')
    pad = nn.ReflectionPad2d((1, 1, 1, 1))
    decoder = nn.Sequential(pad, dec_convs[0], nn.ReLU(), up, pad, dec_convs[1], nn.ReLU(), up,
                            pad, dec_convs[2], nn.ReLU(), up, pad, dec_convs[3])
    for p in decoder.parameters():
        p.requires_grad_(False)
    for k, conv in enumerate(enc_convs):
        save(f"enc_conv{k}_weight", conv.weight)
        save(f"enc_conv{k}_bias", conv.bias)
    for k, conv in enumerate(dec_convs):
        save(f"dec_conv{k}_weight", conv.weight)
        save(f"dec_conv{k}_bias", conv.bias)

    content = torch.rand(1, 3, 16, 16)
    styles = [torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16) * 0.5 + 0.4]
    save("learn_content", content)
    steps, lr, style_weight = 4, 0.05, 10.0
    scalars.update(learn_steps=steps, learn_lr=lr, learn_style_weight=style_weight)
    with torch.no_grad():
        fc = encode_with_intermediate(content)[-1]
    for s, style_image in enumerate(styles):
        save(f"learn_style{s}", style_image)
        with torch.no_grad():
            style_feats = encode_with_intermediate(style_image)
        gamma = torch.ones(8, requires_grad=True)
        beta = torch.zeros(8, requires_grad=True)
        opt = torch.optim.Adam([gamma, beta], lr=lr)
        losses = []
        for _ in range(steps):
            t = cin(fc, gamma, beta)
            feats = encode_with_intermediate(decoder(t))
            loss_c = F.mse_loss(feats[-1], t.detach())
            loss_s = calc_style_loss(feats[0], style_feats[0])
            for i in range(1, 4):
                loss_s = loss_s + calc_style_loss(feats[i], style_feats[i])
            loss = loss_c + style_weight * loss_s
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        scalars[f"learn_losses{s}"] = losses
        save(f"learn_gamma{s}", gamma)
        save(f"learn_beta{s}", beta)

    index = {"arrays": {}, "scalars": scalars}
    for name, t in arrays.items():
        t.numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
        index["arrays"][name] = list(t.shape)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
