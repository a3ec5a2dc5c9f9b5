"""Times one 512x512 AdaIN stylization in PyTorch on the CPU, for stylebench to compare with.

Usage: /usr/bin/python3 Scripts/bench_pytorch.py [--size 512] [--runs 5] [--threads 2]
                                                  [--vgg FILE --decoder FILE]

The network is pytorch-AdaIN's (Scripts/pytorch_adain.py): two encoder passes to relu4_1 (content
and style), AdaIN with alpha 1, one decoder pass, under torch.no_grad(). Weights are seeded unless
both weight files are given (.pth state_dicts). Prints one JSON line on stdout:
{"seconds": median, "runs": [...], "peak_rss_bytes": ... (Scripts/bench_memory.py), "threads": ..., "torch": ..., "size": ...}.
Run it without OPENBLAS_CORETYPE in the environment so that PyTorch picks its best kernels.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402
from bench_network import add_network_arguments, network  # noqa: E402
from bench_memory import peak_resident_bytes  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    add_network_arguments(parser)
    args = parser.parse_args()

    encoder, decoder = network(args)
    generator = torch.Generator().manual_seed(1)
    content = torch.rand(1, 3, args.size, args.size, generator=generator)
    style = torch.rand(1, 3, args.size, args.size, generator=generator)

    runs = []
    with torch.no_grad():
        ref.style_transfer(encoder, decoder, content, style, 1.0)  # warm-up
        for _ in range(args.runs):
            start = time.perf_counter()
            ref.style_transfer(encoder, decoder, content, style, 1.0)
            runs.append(time.perf_counter() - start)
    peak = peak_resident_bytes()
    print(json.dumps({
        "seconds": statistics.median(runs), "runs": runs, "peak_rss_bytes": peak,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "size": args.size,
    }))


if __name__ == "__main__":
    main()
