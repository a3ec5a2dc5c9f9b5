"""Stylizes a video the way pytorch-AdaIN's test_video.py does, in PyTorch on the CPU, for
`stylebench --video` to compare with.

Usage: /usr/bin/python3 Scripts/bench_video.py --video CLIP --style IMAGE [--style-size 512]
                                                [--threads 2] [--vgg FILE --decoder FILE]

test_video.py's loop: each frame is read, made a tensor at its own size (content_size 0), and
stylized with `style_transfer`, which encodes the content and the style image again for every
frame; the output frames are written as a video. Here ffmpeg decodes the frames into a pipe (raw
RGB) and encodes the stylized frames from one (H.264, crf 18, as `stylectl video` writes .mp4), so
that both tools pay the same I/O. Weights are seeded unless both files are given. Prints one JSON
line: {"frames", "seconds", "frames_per_second", "peak_rss_bytes", "threads", "torch", "width", "height"}.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402
from bench_network import add_network_arguments, network  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--style-size", type=int, default=512)
    add_network_arguments(parser)
    args = parser.parse_args()

    encoder, decoder = network(args)
    style = ref.load_image(args.style, args.style_size)

    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate", "-of", "json", args.video],
        check=True, capture_output=True).stdout)["streams"][0]
    width, height, rate = probe["width"], probe["height"], probe["r_frame_rate"]
    frame_bytes = 3 * width * height
    with tempfile.TemporaryDirectory() as work:
        decoder_process = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", args.video, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo",
             "-pix_fmt", "rgb24", "pipe:1"], stdout=subprocess.PIPE)
        encoder_process = None
        frames = 0
        start = time.perf_counter()
        with torch.no_grad():
            while True:
                data = decoder_process.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break
                frame = numpy.frombuffer(data, dtype=numpy.uint8).reshape(height, width, 3)
                content = torch.from_numpy(frame.copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
                output = ref.style_transfer(encoder, decoder, content, style, 1.0)[:, :, :height, :width]
                pixels = output.squeeze(0).mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
                if encoder_process is None:
                    encoder_process = subprocess.Popen(
                        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", f"{pixels.shape[1]}x{pixels.shape[0]}",
                         "-framerate", rate, "-i", "pipe:0", "-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0", "-c:v", "libx264", "-crf", "18",
                         "-pix_fmt", "yuv420p", os.path.join(work, "out.mp4")], stdin=subprocess.PIPE)
                encoder_process.stdin.write(pixels.tobytes())
                frames += 1
        decoder_process.wait()
        if encoder_process is not None:
            encoder_process.stdin.close()
            encoder_process.wait()
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(json.dumps({
        "frames": frames, "seconds": seconds, "frames_per_second": frames / seconds, "peak_rss_bytes": peak,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "width": width, "height": height,
    }))


if __name__ == "__main__":
    main()
