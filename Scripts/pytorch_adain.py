"""The reference: pytorch-AdaIN's network and test-time pipeline, for golden files and benchmarks.

The layer tables, calc_mean_std, the losses, adaptive_instance_normalization and style_transfer are those
of naoto0804/pytorch-AdaIN (net.py, function.py, test.py; MIT licence), so that stylectl is
compared with what its users compare it with. pytorch-AdaIN's coral is in goldens_controls.py. Run with Debian's /usr/bin/python3 (python3-torch).
"""

import json
import struct

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torchvision import transforms

decoder = nn.Sequential(
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 256, (3, 3)),
    nn.ReLU(),
    nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 128, (3, 3)),
    nn.ReLU(),
    nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(128, 128, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(128, 64, (3, 3)),
    nn.ReLU(),
    nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(64, 64, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(64, 3, (3, 3)),
)

vgg = nn.Sequential(
    nn.Conv2d(3, 3, (1, 1)),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(3, 64, (3, 3)),
    nn.ReLU(),  # relu1-1
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(64, 64, (3, 3)),
    nn.ReLU(),  # relu1-2
    nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(64, 128, (3, 3)),
    nn.ReLU(),  # relu2-1
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(128, 128, (3, 3)),
    nn.ReLU(),  # relu2-2
    nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(128, 256, (3, 3)),
    nn.ReLU(),  # relu3-1
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),  # relu3-2
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),  # relu3-3
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 256, (3, 3)),
    nn.ReLU(),  # relu3-4
    nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(256, 512, (3, 3)),
    nn.ReLU(),  # relu4-1, this is the last layer used
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu4-2
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu4-3
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu4-4
    nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu5-1
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu5-2
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU(),  # relu5-3
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(512, 512, (3, 3)),
    nn.ReLU()  # relu5-4
)

# net.py's Net: the encoder stages whose outputs the style loss uses.
ENCODER_STAGES = [(0, 4, "relu1_1"), (4, 11, "relu2_1"), (11, 18, "relu3_1"), (18, 31, "relu4_1")]


def calc_mean_std(feat, eps=1e-5):
    size = feat.size()
    assert (len(size) == 4)
    N, C = size[:2]
    feat_var = feat.view(N, C, -1).var(dim=2) + eps
    feat_std = feat_var.sqrt().view(N, C, 1, 1)
    feat_mean = feat.view(N, C, -1).mean(dim=2).view(N, C, 1, 1)
    return feat_mean, feat_std


def calc_content_loss(input, target):
    # net.py's Net.calc_content_loss
    assert (input.size() == target.size())
    assert (target.requires_grad is False)
    return nn.functional.mse_loss(input, target)


def calc_style_loss(input, target):
    # net.py's Net.calc_style_loss
    assert (target.requires_grad is False)
    input_mean, input_std = calc_mean_std(input)
    target_mean, target_std = calc_mean_std(target)
    return nn.functional.mse_loss(input_mean, target_mean) + nn.functional.mse_loss(input_std, target_std)


def adaptive_instance_normalization(content_feat, style_feat):
    assert (content_feat.size()[:2] == style_feat.size()[:2])
    size = content_feat.size()
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    normalized_feat = (content_feat - content_mean.expand(
        size)) / content_std.expand(size)
    return normalized_feat * style_std.expand(size) + style_mean.expand(size)


def style_transfer(vgg_encoder, decoder_net, content, style, alpha=1.0, interpolation_weights=None):
    assert (0.0 <= alpha <= 1.0)
    content_f = vgg_encoder(content)
    style_f = vgg_encoder(style)
    if interpolation_weights:
        _, C, H, W = content_f.size()
        feat = torch.FloatTensor(1, C, H, W).zero_().to(content_f.device)
        base_feat = adaptive_instance_normalization(content_f, style_f)
        for i, w in enumerate(interpolation_weights):
            feat = feat + w * base_feat[i:i + 1]
        content_f = content_f[0:1]
    else:
        feat = adaptive_instance_normalization(content_f, style_f)
    feat = feat * alpha + content_f * (1 - alpha)
    return decoder_net(feat)


def test_transform(size, crop):
    transform_list = []
    if size != 0:
        transform_list.append(transforms.Resize(size))
    if crop:
        transform_list.append(transforms.CenterCrop(size))
    transform_list.append(transforms.ToTensor())
    return transforms.Compose(transform_list)


def load_image(path, size, crop=False):
    """test.py's loading: PIL image, Resize(size) (shorter side), optional CenterCrop, ToTensor."""
    return test_transform(size, crop)(Image.open(str(path)).convert('RGB')).unsqueeze(0)


def encoder_upto_relu4_1():
    return nn.Sequential(*list(vgg.children())[:31])


def seeded_weights(seed=0):
    """Deterministic weights with activations of order one at every layer.

    PyTorch's default init shrinks activations by about 0.4 per layer, which would leave the deep
    layers to their biases; He (Kaiming) normal init keeps them informative. The decoder's last
    layer is rescaled so that outputs sit around 0.5 (see rescale_decoder_output), so that golden
    images are not mostly clamped to 0 or 1.
    """
    torch.manual_seed(seed)
    for net in (vgg, decoder):
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
                nn.init.uniform_(m.bias, -0.1, 0.1)


def rescale_decoder_output(t, std=0.2, mean=0.5):
    """Scales the decoder's last conv so that decoder(t) has the given mean and std."""
    last = decoder[-1]
    with torch.no_grad():
        y = decoder(t)
        scale = std / y.std().item()
        last.weight.mul_(scale)
        last.bias.mul_(scale)
        y = decoder(t)
        last.bias.add_(mean - y.mean().item())


# Tiny seeded networks with the structure of pytorch-AdaIN's, for the gradient goldens
# (goldens_training.py, goldens_norms.py).

def seeded_conv(cin, cout):
    """A 3x3 nn.Conv2d with He-normal weights and biases of order 0.1 (drawn after its default init)."""
    conv = nn.Conv2d(cin, cout, (3, 3))
    with torch.no_grad():
        conv.weight.copy_(torch.randn_like(conv.weight) * (2.0 / (9 * cin)) ** 0.5)
        conv.bias.copy_(torch.randn_like(conv.bias) * 0.1)
    return conv


def tiny_encoder():
    """The VGG encoder's structure with 3 -> 4 -> 4 | 6 | 6 | 8 channels (reflection pad, conv, ReLU,
    ceil-mode max-pools), fixed. Returns its convolutions and net.py's encode_with_intermediate:
    the outputs relu1_1, relu2_1, relu3_1, relu4_1."""
    convs, layers = [], []
    for row in [(3, 4), (4, 4), "pool", (4, 6), "pool", (6, 6), "pool", (6, 8)]:
        if row == "pool":
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True))
            continue
        conv = seeded_conv(*row)
        convs.append(conv)
        layers += [nn.ReflectionPad2d((1, 1, 1, 1)), conv, nn.ReLU()]
    encoder = nn.Sequential(*layers)
    for p in encoder.parameters():
        p.requires_grad_(False)
    relu_ends = [i + 1 for i, m in enumerate(layers) if isinstance(m, nn.ReLU)]
    stage_ends = [relu_ends[0], relu_ends[2], relu_ends[3], relu_ends[4]]

    def encode_with_intermediate(x):
        feats, start = [], 0
        for end in stage_ends:
            x = encoder[start:end](x)
            feats.append(x)
            start = end
        return feats

    return convs, encode_with_intermediate


def save_safetensors(tensors, path):
    """Writes tensors (name -> torch tensor or numpy array) as an F32 safetensors file, in the
    dict's order, its JSON header padded with spaces to a multiple of 8 bytes."""
    header, blobs, offset = {}, [], 0
    for key, value in tensors.items():
        array = value.detach().float().numpy() if isinstance(value, torch.Tensor) else value
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header).encode()
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)
