"""Writes PyTorch autograd references for the training kernels to .goldens/training/.

Usage: /usr/bin/python3 Scripts/goldens_training.py [OUTDIR]

Every case is a tiny seeded piece: its inputs, an upstream gradient g (the loss is sum(out * g))
and the gradients autograd gives; the AdaIN loss case runs pytorch-AdaIN net.py's content and
style losses through a tiny seeded encoder chain (reflection pad, conv, ReLU, ceil max-pool) and
saves the loss terms and d loss / d g(t); a tiny decoder chain (pad, conv, ReLU, upsample)
saves its input and weight gradients; the Adam case saves torch.optim.Adam's parameters after
each of a few steps; the AdaIN training case runs two steps of pytorch-AdaIN's train.py (net.py's
loss, adjust_learning_rate, Adam) on a tiny seeded decoder behind the tiny encoder and saves the
decoder's weights before and after each step, the gradients of each step and the logged losses. index.json gives every array's shape and the scalars; arrays are raw
little-endian float32 (*.f32), row-major.
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_adain import (adaptive_instance_normalization, calc_content_loss, calc_mean_std,  # noqa: E402
                           calc_style_loss, tiny_encoder)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "training")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(5)
    arrays, scalars = {}, {}

    def save(name, t):
        arrays[name] = t.detach().float().clone().contiguous()  # a copy: parameters change in place

    def piece(name, fn, *inputs):
        leaves = [x.clone().requires_grad_(True) for x in inputs]
        y = fn(*leaves)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        for i, (x, leaf) in enumerate(zip(inputs, leaves)):
            save(f"{name}_in{i}", x)
            save(f"{name}_din{i}", leaf.grad)
        save(f"{name}_out", y)
        save(f"{name}_g", g)

    piece("pad", nn.ReflectionPad2d(1), torch.randn(2, 3, 5, 6))
    piece("conv", lambda x, w, b: F.conv2d(x, w, b), torch.randn(2, 3, 6, 7), torch.randn(4, 3, 3, 3), torch.randn(4))
    piece("relu", F.relu, torch.randn(2, 3, 4, 5))
    pool = nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)
    piece("pool", pool, torch.randn(2, 3, 5, 7))
    # Quantised values: many ties inside windows, broken as PyTorch breaks them.
    piece("pooltie", pool, torch.randint(0, 3, (2, 2, 7, 5)).float())
    piece("upsample", nn.Upsample(scale_factor=2, mode='nearest'), torch.randn(2, 3, 3, 4))
    piece("meanstd", lambda x: torch.cat(calc_mean_std(x), dim=1), torch.randn(2, 3, 4, 5))

    # A tiny seeded encoder chain with the VGG encoder's structure, 3 -> 4 -> 4 | 6 | 6 | 8 channels.
    enc_convs, encode_with_intermediate = tiny_encoder()
    for k, conv in enumerate(enc_convs):
        save(f"enc_conv{k}_weight", conv.weight)
        save(f"enc_conv{k}_bias", conv.bias)

    g_t = torch.rand(2, 3, 11, 13)
    style = torch.rand(2, 3, 14, 10)
    with torch.no_grad():
        target = encode_with_intermediate(torch.rand(2, 3, 11, 13))[-1] * 0.8 + 0.05
        style_feats = encode_with_intermediate(style)
    leaf = g_t.clone().requires_grad_(True)
    g_t_feats = encode_with_intermediate(leaf)
    loss_c = calc_content_loss(g_t_feats[-1], target)
    loss_s = calc_style_loss(g_t_feats[0], style_feats[0])
    for i in range(1, 4):
        loss_s = loss_s + calc_style_loss(g_t_feats[i], style_feats[i])
    style_weight = 10.0
    loss = loss_c + style_weight * loss_s
    loss.backward()
    save("loss_decoded", g_t)
    save("loss_style", style)
    save("loss_target", target)
    save("loss_grad", leaf.grad)
    for i, f in enumerate(g_t_feats):
        save(f"loss_feat{i}", f)
    scalars.update(loss_content=loss_c.item(), loss_style=loss_s.item(), loss_total=loss.item(), style_weight=style_weight)

    # A tiny decoder chain with the decoder's structure: pad, conv 4->5, ReLU, upsample, pad,
    # conv 5->3 (no ReLU); gradients of sum(out * g) to the input and to every weight and bias.
    dec_convs = [nn.Conv2d(4, 5, (3, 3)), nn.Conv2d(5, 3, (3, 3))]
    decoder = nn.Sequential(nn.ReflectionPad2d((1, 1, 1, 1)), dec_convs[0], nn.ReLU(),
                            nn.Upsample(scale_factor=2, mode='nearest'),
                            nn.ReflectionPad2d((1, 1, 1, 1)), dec_convs[1])
    t = torch.randn(2, 4, 3, 4)
    leaf = t.clone().requires_grad_(True)
    decoded = decoder(leaf)
    g = torch.randn_like(decoded)
    (decoded * g).sum().backward()
    save("dec_in", t)
    save("dec_out", decoded)
    save("dec_g", g)
    save("dec_din", leaf.grad)
    for k, conv in enumerate(dec_convs):
        save(f"dec_conv{k}_weight", conv.weight)
        save(f"dec_conv{k}_bias", conv.bias)
        save(f"dec_conv{k}_dweight", conv.weight.grad)
        save(f"dec_conv{k}_dbias", conv.bias.grad)

    # Adam: 5 steps on a flat parameter with seeded gradients, and with weight decay.
    for name, kwargs in (("adam", dict(lr=0.01)), ("adamwd", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1))):
        p = torch.randn(37, requires_grad=True)
        save(f"{name}_param0", p)
        opt = torch.optim.Adam([p], **kwargs)
        for step in range(1, 6):
            g = torch.randn(37) * (10.0 ** (step - 3))
            p.grad = g.clone()
            opt.step()
            save(f"{name}_grad{step}", g)
            save(f"{name}_param{step}", p)
        scalars[name] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}

    # AdaIN training: train.py's loop for two iterations on a tiny decoder 8 -> 6 -> 4 -> 4 -> 3
    # (pad, conv, ReLU, upsample as net.py's decoder; PyTorch's default Conv2d initialisation)
    # behind the tiny encoder; lr and lr_decay larger than train.py's so that the steps show.
    lr, lr_decay, content_weight, style_weight = 1e-3, 0.5, 1.0, 10.0
    train_convs = [nn.Conv2d(8, 6, (3, 3)), nn.Conv2d(6, 4, (3, 3)), nn.Conv2d(4, 4, (3, 3)), nn.Conv2d(4, 3, (3, 3))]
    modules = []
    for k, conv in enumerate(train_convs):
        modules += [nn.ReflectionPad2d((1, 1, 1, 1)), conv]
        if k < 3:
            modules += [nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest')]
    train_decoder = nn.Sequential(*modules)
    for k, conv in enumerate(train_convs):
        save(f"train_conv{k}_weight0", conv.weight)
        save(f"train_conv{k}_bias0", conv.bias)
    optimizer = torch.optim.Adam(train_decoder.parameters(), lr=lr)
    for i in range(2):
        for group in optimizer.param_groups:  # adjust_learning_rate
            group['lr'] = lr / (1.0 + lr_decay * i)
        content_images = torch.rand(2, 3, 16, 24)
        style_images = torch.rand(2, 3, 20, 12)
        save(f"train_content{i}", content_images)
        save(f"train_style{i}", style_images)
        # net.py's Net.forward with alpha 1
        style_feats = encode_with_intermediate(style_images)
        content_feat = encode_with_intermediate(content_images)[-1]
        t = adaptive_instance_normalization(content_feat, style_feats[-1])
        g_t = train_decoder(t)
        g_t_feats = encode_with_intermediate(g_t)
        loss_c = calc_content_loss(g_t_feats[-1], t)
        loss_s = calc_style_loss(g_t_feats[0], style_feats[0])
        for j in range(1, 4):
            loss_s = loss_s + calc_style_loss(g_t_feats[j], style_feats[j])
        loss_c, loss_s = content_weight * loss_c, style_weight * loss_s
        loss = loss_c + loss_s
        optimizer.zero_grad()
        loss.backward()
        for k, conv in enumerate(train_convs):  # the gradients at the weights of step i
            save(f"train_conv{k}_dweight{i + 1}", conv.weight.grad)
            save(f"train_conv{k}_dbias{i + 1}", conv.bias.grad)
        optimizer.step()
        scalars[f"train_loss_content{i + 1}"] = loss_c.item()
        scalars[f"train_loss_style{i + 1}"] = loss_s.item()
        for k, conv in enumerate(train_convs):
            save(f"train_conv{k}_weight{i + 1}", conv.weight)
            save(f"train_conv{k}_bias{i + 1}", conv.bias)
    scalars.update(train_lr=lr, train_lr_decay=lr_decay, train_content_weight=content_weight, train_style_weight=style_weight)

    index = {"arrays": {}, "scalars": scalars}
    for name, t in arrays.items():
        t.numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
        index["arrays"][name] = list(t.shape)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
