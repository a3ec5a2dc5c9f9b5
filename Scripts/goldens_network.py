"""Writes seeded pytorch-AdaIN weights and reference activations to .goldens/network/.

Usage: /usr/bin/python3 Scripts/goldens_network.py [OUTDIR]

Files: vgg.safetensors, vgg_legacy.pth, vgg_zip.pth and the same for the decoder (all 53 VGG
modules, as the released vgg_normalised.pth holds; stylectl uses the first 31); index.json with
the content and style image paths and sizes and the shape of every raw little-endian float32
array (*.f32); output_alpha1.png, the pytorch-AdaIN test.py result saved with torchvision's
save_image.
"""

import json
import os
import sys

import torch
from torchvision.utils import save_image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "images")
CONTENT = os.path.join(SHARED, "content", "cornell.jpg")
STYLE = os.path.join(SHARED, "style", "woman_with_hat_matisse.jpg")
CONTENT_SIZE = 90   # not a multiple of 8: ceil-mode pooling makes the output larger than the input
STYLE_SIZE = 64


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "network")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    ref.seeded_weights(0)
    encoder = ref.encoder_upto_relu4_1().eval()
    decoder = ref.decoder.eval()

    content = ref.load_image(CONTENT, CONTENT_SIZE)
    style = ref.load_image(STYLE, STYLE_SIZE)
    arrays = {"content_input": content, "style_input": style}
    with torch.no_grad():
        for name, image in (("content", content), ("style", style)):
            x = image
            for start, end, stage in ref.ENCODER_STAGES:
                x = ref.vgg[start:end](x)
                arrays[f"{name}_{stage}"] = x
        content_f, style_f = arrays["content_relu4_1"], arrays["style_relu4_1"]
        t = ref.adaptive_instance_normalization(content_f, style_f)
        ref.rescale_decoder_output(t)
        arrays["adain"] = t
        mean, std = ref.calc_mean_std(content_f)
        arrays["content_relu4_1_mean"], arrays["content_relu4_1_std"] = mean, std
        arrays["decoded_alpha1"] = ref.style_transfer(encoder, decoder, content, style, 1.0)
        arrays["decoded_alpha0_5"] = ref.style_transfer(encoder, decoder, content, style, 0.5)
        arrays["decoded_alpha0"] = decoder(content_f)
    save_image(arrays["decoded_alpha1"], os.path.join(out, "output_alpha1.png"))

    for name, tensor in arrays.items():
        tensor.detach().contiguous().float().numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
    for name, net in (("vgg", ref.vgg), ("decoder", decoder)):
        state = net.state_dict()
        torch.save(state, os.path.join(out, f"{name}_legacy.pth"), _use_new_zipfile_serialization=False)
        torch.save(state, os.path.join(out, f"{name}_zip.pth"))
        ref.save_safetensors(state, os.path.join(out, f"{name}.safetensors"))
    index = {
        "content": os.path.relpath(CONTENT, SHARED), "content_size": CONTENT_SIZE, "style": os.path.relpath(STYLE, SHARED), "style_size": STYLE_SIZE,
        "seed": 0, "torch": torch.__version__,
        "arrays": {name: {"shape": list(t.shape)} for name, t in arrays.items()},
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
