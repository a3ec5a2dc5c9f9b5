"""The PyTorch network of the benchmark scripts (Scripts/bench_pytorch.py, Scripts/bench_video.py).

pytorch-AdaIN's encoder to relu4_1 and decoder (Scripts/pytorch_adain.py) in eval mode, with the
weight files given by --vgg and --decoder (.pth state_dicts), or seeded weights (seed 0, as the
goldens') unless both are given; --threads sets torch's intra-op threads.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402


def add_network_arguments(parser):
    """--threads (default 2), --vgg FILE, --decoder FILE."""
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vgg")
    parser.add_argument("--decoder")


def network(args):
    """(encoder, decoder) in eval mode for the parsed arguments, with torch's threads set."""
    torch.set_num_threads(args.threads)
    if args.vgg and args.decoder:
        ref.vgg.load_state_dict(torch.load(args.vgg))
        ref.decoder.load_state_dict(torch.load(args.decoder))
    else:
        ref.seeded_weights(0)
    return ref.encoder_upto_relu4_1().eval(), ref.decoder.eval()
