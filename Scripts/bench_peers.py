"""Times one AdaIN stylization in ONNX Runtime and OpenVINO, for stylebench to compare with.

Usage (with .build-bench/venv/bin/python, which Scripts/setup-bench makes):
  bench_peers.py [--size 512] [--runs 5] [--threads 2]

The network and weights are Scripts/bench_pytorch.py's: pytorch-AdaIN's encoder to relu4_1, AdaIN
with alpha 1 and decoder (Scripts/pytorch_adain.py), seeded weights (seed 0), content and style
torch.rand with generator seed 1. Debian's torch (seen through the venv's system site packages)
exports it to ONNX (torch.onnx.export, opset 13, fixed size) in a temporary folder and computes
PyTorch's output; then each engine runs in its own subprocess (`bench_peers.py engine NAME ...`),
so that its peak RSS is its own and not torch's (Scripts/bench_memory.py says how it is measured):

  onnxruntime       ONNX Runtime, CPU execution provider, `--threads` intra-op threads
  openvino-f32      OpenVINO on the CPU, INFERENCE_PRECISION_HINT f32, `--threads` threads
  openvino-default  OpenVINO on the CPU with its default precision for this CPU (bf16 where the CPU
                    has it, else f32), `--threads` threads

Each times a warm-up, then `--runs` runs; its seconds are the median. Prints one JSON line on
stdout: {"size", "threads", "torch", "engines": [{"engine", "version", "precision", "seconds",
"runs", "peak_rss_bytes", "max_abs_diff"}]}, where max_abs_diff is the largest absolute difference
of the engine's output from PyTorch's (values of order 1). An engine that fails has "error"
instead of the figures; the others still run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_memory import peak_resident_bytes  # noqa: E402

ENGINES = ["onnxruntime", "openvino-f32", "openvino-default"]


def export(folder, size):
    """Writes model.onnx, content.npy, style.npy and reference.npy (PyTorch's output) to folder;
    returns torch's version."""
    import torch

    import pytorch_adain as ref

    ref.seeded_weights(0)
    encoder = ref.encoder_upto_relu4_1().eval()
    decoder = ref.decoder.eval()

    class Stylization(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = encoder, decoder

        def forward(self, content, style):
            return ref.style_transfer(self.encoder, self.decoder, content, style, 1.0)

    generator = torch.Generator().manual_seed(1)
    content = torch.rand(1, 3, size, size, generator=generator)
    style = torch.rand(1, 3, size, size, generator=generator)
    model = Stylization().eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on constant folding and shape inference
        reference = model(content, style)
        torch.onnx.export(model, (content, style), os.path.join(folder, "model.onnx"), opset_version=13,
                          input_names=["content", "style"], output_names=["output"])
    np.save(os.path.join(folder, "content.npy"), content.numpy())
    np.save(os.path.join(folder, "style.npy"), style.numpy())
    np.save(os.path.join(folder, "reference.npy"), reference.numpy())
    return torch.__version__


def engine_runner(name, model, threads):
    """(version, precision, run) for engine `name`: run(content, style) returns the output."""
    if name == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        return ort.__version__, "f32", lambda c, s: session.run(None, {"content": c, "style": s})[0]
    import openvino as ov

    config = {"INFERENCE_NUM_THREADS": threads}
    if name == "openvino-f32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = ov.Core().compile_model(model, "CPU", config)
    precision = compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
    request = compiled.create_infer_request()

    def run(c, s):
        request.infer({"content": c, "style": s})
        return request.get_output_tensor(0).data.copy()

    return ov.__version__, precision, run


def run_engine(name, folder, runs, threads):
    content = np.load(os.path.join(folder, "content.npy"))
    style = np.load(os.path.join(folder, "style.npy"))
    version, precision, run = engine_runner(name, os.path.join(folder, "model.onnx"), threads)
    output = run(content, style)  # warm-up
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        output = run(content, style)
        seconds.append(time.perf_counter() - start)
    peak = peak_resident_bytes()
    reference = np.load(os.path.join(folder, "reference.npy"))
    return {"engine": name, "version": version, "precision": precision, "seconds": statistics.median(seconds),
            "runs": seconds, "peak_rss_bytes": peak, "max_abs_diff": float(np.abs(output - reference).max())}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "engine":
        parser = argparse.ArgumentParser()
        parser.add_argument("command")
        parser.add_argument("name", choices=ENGINES)
        parser.add_argument("--folder", required=True)
        parser.add_argument("--runs", type=int, required=True)
        parser.add_argument("--threads", type=int, required=True)
        args = parser.parse_args()
        print(json.dumps(run_engine(args.name, args.folder, args.runs, args.threads)))
        return

    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stylebench-peers-") as folder:
        torch_version = export(folder, args.size)
        engines = []
        for name in ENGINES:
            result = subprocess.run([sys.executable, os.path.abspath(__file__), "engine", name, "--folder", folder,
                                     "--runs", str(args.runs), "--threads", str(args.threads)],
                                    capture_output=True, text=True)
            lines = result.stdout.strip().splitlines()
            if result.returncode == 0 and lines:
                engines.append(json.loads(lines[-1]))
            else:
                error = (result.stderr.strip().splitlines() or ["status %d" % result.returncode])[-1]
                engines.append({"engine": name, "error": error})
    print(json.dumps({"size": args.size, "threads": args.threads, "torch": torch_version, "engines": engines}))


if __name__ == "__main__":
    main()
