"""Times decoder training iterations in PyTorch on the CPU, for `stylebench --train` to compare with.

Usage: /usr/bin/python3 Scripts/bench_training.py [--batch 8] [--size 256] [--runs 3] [--threads 2]

One iteration is pytorch-AdaIN's train.py loop body on random batches (content and style, batch x
3 x size x size in [0, 1]): net.py's forward (encoder to relu1_1 ... relu4_1 for the style, relu4_1
for the content, AdaIN, decoder, the encoder again on g(t), content and style losses with style
weight 10), loss.backward() into the decoder only (the encoder's parameters are frozen), and
Adam's step (lr 1e-4 / (1 + 5e-5 i)). Weights are seeded (Scripts/pytorch_adain.py). The image
loading is not timed. Prints one JSON line on stdout:
{"seconds": median, "runs": [...], "phases": {...}, "threads": ..., "torch": ..., "batch": ..., "size": ...}.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402


def calc_style_loss(input, target):
    input_mean, input_std = ref.calc_mean_std(input)
    target_mean, target_std = ref.calc_mean_std(target)
    return F.mse_loss(input_mean, target_mean) + F.mse_loss(input_std, target_std)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    ref.seeded_weights(0)
    encoder = ref.encoder_upto_relu4_1()
    for p in encoder.parameters():
        p.requires_grad_(False)
    # net.py's enc_1 ... enc_4: the slices ending at relu1_1, relu2_1, relu3_1, relu4_1.
    ends = [4, 11, 18, 31]
    stages = [encoder[start:end] for start, end in zip([0] + ends[:-1], ends)]
    decoder = ref.decoder
    decoder.train()
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(1)

    def encode_with_intermediate(x):
        feats = []
        for stage in stages:
            x = stage(x)
            feats.append(x)
        return feats

    def iteration(i, phases):
        content = torch.rand(args.batch, 3, args.size, args.size, generator=generator)
        style = torch.rand(args.batch, 3, args.size, args.size, generator=generator)
        start = time.perf_counter()
        for group in optimizer.param_groups:
            group['lr'] = 1e-4 / (1.0 + 5e-5 * i)
        with torch.no_grad():
            style_feats = encode_with_intermediate(style)
            t = ref.adaptive_instance_normalization(encode_with_intermediate(content)[-1], style_feats[-1])
        encoded = time.perf_counter()
        g_t = decoder(t)
        g_t_feats = encode_with_intermediate(g_t)
        loss_c = F.mse_loss(g_t_feats[-1], t)
        loss_s = sum(calc_style_loss(g_t_feats[j], style_feats[j]) for j in range(4))
        loss = loss_c + 10.0 * loss_s
        forward = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        backward = time.perf_counter()
        optimizer.step()
        end = time.perf_counter()
        for name, seconds in (("encode content and style", encoded - start), ("decoder and encoder forward, losses", forward - encoded),
                              ("backward", backward - forward), ("Adam", end - backward)):
            phases.setdefault(name, []).append(seconds)
        return end - start

    iteration(0, {})  # warm-up
    phases = {}
    runs = [iteration(i + 1, phases) for i in range(args.runs)]
    print(json.dumps({
        "seconds": statistics.median(runs), "runs": runs, "phases": {k: statistics.median(v) for k, v in phases.items()},
        "threads": torch.get_num_threads(), "torch": torch.__version__, "batch": args.batch, "size": args.size,
    }))


if __name__ == "__main__":
    main()
