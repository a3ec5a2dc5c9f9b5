"""Writes the weight files and reference tensors of the other two AdaIN systems to .goldens/variants/.

Usage: Scripts/goldens_variants.py [OUTDIR] (run by Scripts/make-goldens; it re-runs itself with
.build-goldens/venv/bin/python, as goldens_formats.py does, for PyPI's torchfile).

torch (xunhuang1995/AdaIN-style, Lua Torch): pytorch_adain's networks with seeded weights, written
as Torch7 files by goldens_formats.py's serialiser and read back with torchfile:
- torch_vgg_normalised.t7: vgg_normalised's modules 0 ... 32 (relu4_1 is module 30; the two after
  it are there to be ignored, as test.lua removes them), torch_decoder.t7: the decoder's 29 modules.
- The forward pass re-implements the Lua conventions in PyTorch: the encoder and decoder are
  pytorch-AdaIN's (they are the same networks), AdaIN is AdaptiveInstanceNormalization.lua's: the
  content through a batch normalisation in training mode over (1, N*C, H, W) (biased variance,
  eps 1e-5 inside the square root) whose weight and bias are the style's biased std (no eps) and mean.

test.lua's own image handling (lib/utils.lua's sizePreprocess, the image package's image.scale and
image.save), in numpy as an independent formulation of the same arithmetic (float64; the C code is
float32): with crop the centre square first (start math.floor((side - size) / 2)); image.scale(x,
'^size'): both sides times size / shorter side, truncated; rows then columns, growing by
align-corners linear interpolation (np.interp), shrinking by the box integral of the piecewise
constant row over [i * in / out, (i + 1) * in / out) divided by its length; the output saturated to
[0, 1], times 255 and truncated (image.save's clampImage and C cast), cropped to the content's sized
size as stylectl crops (test.lua keeps the decoder's ceil-mode margin): torch_test_lua_<case>.png for
the cases of lua_cases, index.json's "torch_test_lua".

seed (aadhithya/AdaIN-pytorch): a seeded torchvision vgg19() saved as torchvision saves its weights
(legacy torch.save of the state_dict; the classifier shrunk under its real keys to keep the file
small), seed_vgg19.pth; a seeded decoder with the seed's module layout (an nn.ModuleList of four
nn.Sequential blocks of reflect-padded convolutions: keys net.0.0, net.1.0/2/4/6, net.2.0/2,
net.3.0/2), seed_decoder.pth (a zip torch.save of its state_dict, as its trainer writes). The forward
pass re-implements model.py: vgg19().features[:21] (zero padding, floor-mode pooling), AdaIN with
torch.std (unbiased) + 1e-8, the alpha blend, the decoder with nearest 2x upsampling between blocks;
images normalised with ImageNet's mean and std and the output de-normalised and clamped (utils.py's
inv_normz).

The seed's own image handling (infer.py's load_image and postprocess, called as it calls them):
torchvision's Resize((imsize, imsize)) on the float tensor, the output de-normalised, resized back
to the content's size with scikit-image's resize(order=1, preserve_range=True) and truncated with
(img * 255).astype(np.uint8): seed_infer_<case>.png for the cases of seed_cases (a 90 x 24 crop of
cornell.jpg written as seed_small_content.png, which shrinks one axis and grows the other; the whole
cornell.jpg at alpha 0.5), imsize 64; index.json's "seed_infer" lists them.

The seed's ONNX export (export.py's to_onnx): a module with the seed's StyleNet forward (the two
images concatenated through the encoder, AdaIN, the alpha blend, the decoder) and the same seeded
weights, written by torch.onnx.export at opset 9 with inputs content_img, style_img and alpha, at
64 x 64 (the seed exports at 1024; the weights are the same): seed_stylenet.onnx.

The seed's training (train.py's Trainer.train_as_steps with main.py's lr 1e-4 and wt_s 10, its
criterion and model.py's StyleNet forward): SEED_TRAIN_STEPS iterations from seed_decoder.pth on
batches of 2 given crops (SEED_TRAIN_CROP square, from the sized content and style images below,
ImageNet-normalised as its train_transform does after RandomCrop): optim.zero_grad(); t =
AdaIN(f(c), f(s)) with compute_mean_std (torch.std + 1e-8); loss = mse(t, relu4_1(g(t))) + 10 x the
sum over relu1_1 ... relu4_1 of mse(mean) + mse(std) with compute_mean_std; backward; Adam.step on
the decoder's parameters. seedtrain_content<i> and seedtrain_style<i> are the normalised batches,
seedtrain_loss_content<k> and seedtrain_loss_style<k> (weighted, one value each) the losses of step
k, seedtrain_grad1_<key> the gradient of each decoder parameter at the first step (its state_dict
key, e.g. net.0.0.weight), seedtrain_decoder.pth the decoder after the last step (torch.save of its
state_dict, as the seed's save_model_weights).

The torch model's training (AdaIN-style's train.lua with ArtisticStyleLossCriterion,
StyleINLossModule, ContentLossModule and torch/optim's optim.adam, written out in PyTorch): on
pytorch_adain's tiny seeded encoder (torchtrain_enc_conv<k>_weight/_bias) and a tiny decoder
8 -> 6 -> 4 -> 4 -> 3 (torchtrain_conv<k>_weight0/_bias0, PyTorch's default initialisation: the
distribution of nn.SpatialConvolution's reset), TORCH_TRAIN_STEPS iterations on given batches of 2
(torchtrain_content<i>, torchtrain_style<i>): t = AdaptiveInstanceNormalization.lua's AdaIN of the
relu4_1 features; per style layer relu1_1 ... relu4_1 StyleINLossModule's loss: the output's mean
and std sqrt(mean of squared deviations + 1e-6) (nn.Sqrt(1e-6) as cunn computes it), the target's
mean and biased std (torch.std(x, 3, true)), MSECriterion with sizeAverage false (summed over the
N x C planes) divided by N, times the style weight 1e-2; ContentLossModule: MSECriterion (averaged)
of relu4_1(g(t)) against t, times 1; the gradients by autograd (the modules' hand-written backward
passes compute the same derivative: StyleINLossModule re-centres the squared term's gradient); then
optim.adam on the decoder's parameters: clr = lr / (1 + t * lrd) with t the steps taken before, m
and v as Adam's, denom = sqrt(v) + eps, step = clr * sqrt(1 - b2^t) / (1 - b1^t), x -= step * m /
denom. lr and lrd larger than train.lua's (TORCH_TRAIN_LR, TORCH_TRAIN_LR_DECAY) so that the steps
show; index.json's "torchtrain" gives them. torchtrain_loss_content<k> and torchtrain_loss_style<k>
are step k's weighted losses, torchtrain_grad<k>_conv<j>_weight/_bias the gradients of step k at
the weights before it, torchtrain_conv<j>_weight<k>/_bias<k> the weights after step k.
optim.adam alone, where eps matters: TORCH_ADAM_STEPS steps on a flat parameter
(torchtrain_adam_param0) with seeded gradients of scales 1e-6 ... 1e-2 (torchtrain_adam_grad<k>),
lr 0.01, learningRateDecay 0.5, eps 1e-6: torchtrain_adam_param<k>.

Both on the paper's images (cornell.jpg, woman_with_hat_matisse.jpg) sized as stylectl --content-size
64 --crop (PIL resize of the shorter side, centre crop): index.json ("arrays": shapes, "scalars"),
one raw float32 file per array: <v>_content_input, <v>_style_input, <v>_content_relu{1,2,3}_1,
<v>_content_relu4_1, <v>_style_relu4_1, <v>_t (AdaIN at alpha 1), <v>_t_alpha0_5, <v>_decoded
(the decoder's output) and <v>_output.png (the output image, truncated to 8 bits as test.lua's
image.save and the seed's postprocess write it).
"""

import collections
import json
import math
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldens_formats as fmt  # noqa: E402  (re-runs this script in the venv when torchfile is missing)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

import pytorch_adain as ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "images")
CONTENT = os.path.join(SHARED, "content", "cornell.jpg")
STYLE = os.path.join(SHARED, "style", "woman_with_hat_matisse.jpg")
SIZE = 64
SEED_IMSIZE = 64
SEED_TRAIN_STEPS = 3
SEED_TRAIN_CROP = 32
SEED_TRAIN_LR = 1e-4
SEED_TRAIN_STYLE_WEIGHT = 10.0
TORCH_TRAIN_STEPS = 3
TORCH_TRAIN_LR = 1e-3
TORCH_TRAIN_LR_DECAY = 0.5
TORCH_TRAIN_STYLE_WEIGHT = 1e-2
TORCH_ADAM_STEPS = 5
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


# ---------------------------------------------------------------------------------------------
# torch: AdaptiveInstanceNormalization.lua in PyTorch.

def torch_adain(content, style, eps=1e-5):
    n, c, h, w = content.shape
    style_view = style.reshape(n, c, -1)
    target_std = style_view.std(dim=2, unbiased=False).reshape(-1)
    target_mean = style_view.mean(dim=2).reshape(-1)
    out = F.batch_norm(content.reshape(1, n * c, h, w), None, None, weight=target_std, bias=target_mean,
                       training=True, eps=eps)
    return out.reshape(n, c, h, w)


def t7_sequential(modules):
    """An nn.Sequential of Torch7 modules (goldens_formats' serialiser) with these modules' weights."""
    written, expected = [], collections.OrderedDict()
    for index, m in enumerate(modules):
        fields = fmt.common_fields("torch.FloatTensor")
        if isinstance(m, nn.Conv2d):
            weight = m.weight.detach().numpy().astype(np.float32)
            bias = m.bias.detach().numpy().astype(np.float32)
            kh, kw = m.kernel_size
            fields.update({
                "nInputPlane": m.in_channels, "nOutputPlane": m.out_channels, "kW": kw, "kH": kh, "dW": 1, "dH": 1,
                "padW": 0, "padH": 0, "weight": fmt.float_tensor(weight), "bias": fmt.float_tensor(bias),
                "gradWeight": fmt.empty_tensor(), "gradBias": fmt.empty_tensor(),
                "finput": fmt.empty_tensor(), "fgradInput": fmt.empty_tensor(),
            })
            written.append(fmt.Module("nn.SpatialConvolution", fields))
            expected[f"{index}.weight"], expected[f"{index}.bias"] = weight, bias
        elif isinstance(m, nn.ReflectionPad2d):
            left, right, top, bottom = m.padding
            fields.update({"pad_l": left, "pad_r": right, "pad_t": top, "pad_b": bottom})
            written.append(fmt.Module("nn.SpatialReflectionPadding", fields))
        elif isinstance(m, nn.ReLU):
            fields.update({"threshold": 0, "val": 0, "inplace": False})
            written.append(fmt.Module("nn.ReLU", fields))
        elif isinstance(m, nn.MaxPool2d):
            fields.update({"kW": 2, "kH": 2, "dW": 2, "dH": 2, "padW": 0, "padH": 0, "ceil_mode": bool(m.ceil_mode),
                           "indices": fmt.empty_tensor("torch.LongTensor")})
            written.append(fmt.Module("nn.SpatialMaxPooling", fields))
        elif isinstance(m, nn.Upsample):
            fields.update({"scale_factor": int(m.scale_factor), "inputSize": fmt.Storage("torch.LongStorage", [0, 0, 0, 0]),
                           "outputSize": fmt.Storage("torch.LongStorage", [0, 0, 0, 0])})
            written.append(fmt.Module("nn.SpatialUpSamplingNearest", fields))
        else:
            raise TypeError(type(m))
    sequential = fmt.common_fields("torch.FloatTensor")
    sequential["modules"] = fmt.Table([(float(i + 1), module) for i, module in enumerate(written)])
    sequential["output"] = written[-1].fields["output"]
    return fmt.Module("nn.Sequential", sequential), expected


def write_t7(path, modules):
    module, expected = t7_sequential(modules)
    writer = fmt.T7Writer()
    writer.object(module)
    with open(path, "wb") as f:
        f.write(writer.out)
    fmt.check_with_torchfile(path, expected, fmt.describe(module))


# ---------------------------------------------------------------------------------------------
# seed: aadhithya/AdaIN-pytorch's model.py conventions.

class SeedDecoder(nn.Module):
    """The seed's VggDecoder layout: four blocks in an nn.ModuleList named `net`, 3x3 convolutions with
    padding 1 in reflect mode, ReLU after all but the last, nearest 2x upsampling after every block but the last."""

    def __init__(self):
        super().__init__()

        def conv(cin, cout):
            return nn.Conv2d(cin, cout, 3, 1, 1, padding_mode="reflect")
        self.net = nn.ModuleList([
            nn.Sequential(conv(512, 256), nn.ReLU()),
            nn.Sequential(conv(256, 256), nn.ReLU(), conv(256, 256), nn.ReLU(), conv(256, 256), nn.ReLU(), conv(256, 128), nn.ReLU()),
            nn.Sequential(conv(128, 128), nn.ReLU(), conv(128, 64), nn.ReLU()),
            nn.Sequential(conv(64, 64), nn.ReLU(), conv(64, 3)),
        ])

    def forward(self, x):
        for i, block in enumerate(self.net):
            x = block(x)
            if i < len(self.net) - 1:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x


def seed_mean_std(feats, eps=1e-8):
    n, c = feats.shape[:2]
    view = feats.reshape(n, c, -1)
    return view.mean(dim=-1).reshape(n, c, 1, 1), view.std(dim=-1).reshape(n, c, 1, 1) + eps


def seed_adain(content, style):
    c_mean, c_std = seed_mean_std(content)
    s_mean, s_std = seed_mean_std(style)
    return s_std * ((content - c_mean) / c_std) + s_mean


def imagenet_normalize(image):
    return torchvision.transforms.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD)(image[0])[None]


def inv_normz(image):
    std = torch.tensor(IMAGENET_STD).reshape(-1, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN).reshape(-1, 1, 1)
    return torch.clamp(image * std + mean, 0, 1)


def seed_infer(encoder, decoder, content_path, style_path, imsize, alpha):
    """aadhithya/AdaIN-pytorch's run_infer with its load_image and postprocess; the network is
    StyleNetDS's forward (infer=True): the encoder, AdaIN, the alpha blend, the decoder."""
    import torchvision.transforms as tf
    from skimage.transform import resize

    def load_image(img_path):
        transform = tf.Compose([tf.ToTensor(), tf.Resize((imsize, imsize)), tf.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD)])
        image = np.array(Image.open(img_path).convert("RGB"))
        return transform(image)[None], image.shape[:-1]

    content, c_size = load_image(content_path)
    style, _ = load_image(style_path)
    with torch.no_grad():
        f_c, f_s = encoder(content), encoder(style)
        t = alpha * seed_adain(f_c, f_s) + (1 - alpha) * f_c
        out = decoder(t)
    img = inv_normz(out.squeeze()).permute(1, 2, 0).numpy()
    img = resize(img, c_size, order=1, preserve_range=True)
    return (img * 255).astype(np.uint8)


class SeedStyleNet(nn.Module):
    """model.py's StyleNet: VggEncoder (vgg19().features[:21] as block1 ... block4), VggDecoder, AdaIN."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, content_images, style_images, alpha):
        enc_features = self.encoder(torch.cat((content_images, style_images), 0))
        content_feats, style_feats = torch.chunk(enc_features, 2, dim=0)
        t = alpha * seed_adain(content_feats, style_feats) + (1 - alpha) * content_feats
        return self.decoder(t)


def lua_scale_axis(values, length, axis):
    """generic/image.c's scaleLinear_rowcol along one axis of a float array, formulated independently."""
    n = values.shape[axis]
    v = np.moveaxis(values.astype(np.float64), axis, -1)
    if length > n:
        positions = np.arange(length) * ((n - 1) / (length - 1)) if n > 1 else np.zeros(length)
        out = np.stack([np.interp(positions, np.arange(n), row) for row in v.reshape(-1, n)]).reshape(v.shape[:-1] + (length,))
    elif length < n:
        # C(x): the integral of the piecewise constant row from 0 to x.
        cumulative = np.concatenate([np.zeros(v.shape[:-1] + (1,)), np.cumsum(v, axis=-1)], axis=-1)
        edges = np.arange(length + 1) * (n / length)

        def integral(x):
            whole = np.minimum(np.floor(x).astype(int), n)
            part = np.take(v, np.minimum(whole, n - 1), axis=-1) * np.where(whole < n, x - whole, 0)
            return np.take(cumulative, whole, axis=-1) + part
        out = (integral(edges[1:]) - integral(edges[:-1])) / np.diff(edges)
    else:
        out = v
    return np.moveaxis(out, -1, axis)


def lua_size_preprocess(path, size, crop):
    """lib/utils.lua's sizePreprocess on image.load(path, 3, 'float'): a (1, 3, H, W) float32 tensor."""
    x = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / np.float32(255)
    if crop:
        side = min(x.shape[1:])
        top, left = (x.shape[1] - side) // 2, (x.shape[2] - side) // 2
        x = x[:, top:top + side, left:left + side]
    if size:
        short = min(x.shape[1:])
        height, width = int(x.shape[1] * size / short), int(x.shape[2] * size / short)
        x = lua_scale_axis(lua_scale_axis(x, width, 2), height, 1)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None]


def lua_image_save_levels(image):
    """image.save of a float (3, H, W) tensor: clampImage (saturate, times 255 in double), C cast to bytes."""
    return np.floor(np.clip(image.double().numpy(), 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0)


def rescale_last(conv, forward, t, mean, std):
    """Scales the last convolution so that forward(t) has this mean and std (images not mostly clamped)."""
    with torch.no_grad():
        y = forward(t)
        scale = std / y.std().item()
        conv.weight.mul_(scale)
        conv.bias.mul_(scale)
        conv.bias.add_(mean - forward(t).mean().item())


def seed_train(out, encoder, decoder, content, style, arrays):
    """The seed's train_as_steps for SEED_TRAIN_STEPS iterations from `decoder`'s weights (see the module docstring)."""
    stages = (2, 7, 12, 21)
    for p in encoder.parameters():
        p.requires_grad_(False)

    def features(x):
        return [encoder[:end](x) for end in stages]

    trained = SeedDecoder()
    trained.load_state_dict(decoder.state_dict())
    optim = torch.optim.Adam(trained.parameters(), lr=SEED_TRAIN_LR)
    c = SEED_TRAIN_CROP
    # (top, left) of each image's crop at each step: different places, inside the 64 x 64 images.
    corners = [((0, 0), (16, 24), (8, 8), (32, 0)), ((32, 32), (5, 11), (20, 30), (0, 17)), ((12, 3), (27, 19), (31, 31), (2, 9))]
    for i in range(SEED_TRAIN_STEPS):
        (c0, c1, s0, s1) = corners[i]
        content_batch = torch.cat([imagenet_normalize(content[:, :, y:y + c, x:x + c]) for (y, x) in (c0, c1)])
        style_batch = torch.cat([imagenet_normalize(style[:, :, y:y + c, x:x + c]) for (y, x) in (s0, s1)])
        arrays[f"seedtrain_content{i}"], arrays[f"seedtrain_style{i}"] = content_batch, style_batch
        optim.zero_grad()
        t = seed_adain(encoder(content_batch), encoder(style_batch))  # StyleNet.forward(return_t=True)
        stylized = trained(t)
        stylized_feats, style_feats = features(stylized), features(style_batch)
        content_loss = F.mse_loss(t, stylized_feats[-1])
        style_loss = 0
        for stz, sty in zip(stylized_feats, style_feats):
            stz_m, stz_s = seed_mean_std(stz)
            sty_m, sty_s = seed_mean_std(sty)
            style_loss += F.mse_loss(stz_m, sty_m) + F.mse_loss(stz_s, sty_s)
        loss = content_loss + SEED_TRAIN_STYLE_WEIGHT * style_loss
        loss.backward()
        if i == 0:  # the gradients of the first step, at seed_decoder.pth's weights
            for name, p in trained.named_parameters():
                arrays[f"seedtrain_grad1_{name}"] = p.grad.detach().clone()
        optim.step()
        arrays[f"seedtrain_loss_content{i + 1}"] = content_loss.detach().reshape(1)
        arrays[f"seedtrain_loss_style{i + 1}"] = (SEED_TRAIN_STYLE_WEIGHT * style_loss).detach().reshape(1)
    torch.save(trained.state_dict(), os.path.join(out, "seedtrain_decoder.pth"))


# ---------------------------------------------------------------------------------------------
# torch training: train.lua's criterion and optim.adam in PyTorch.

def style_in_loss(output, target):
    """StyleINLossModule's loss (before its strength) of output features against target features."""
    n, c = output.shape[:2]
    out, tgt = output.reshape(n, c, -1), target.reshape(n, c, -1)
    out_mean = out.mean(dim=2)
    out_std = torch.sqrt(((out - out_mean.unsqueeze(2)) ** 2).mean(dim=2) + 1e-6)
    tgt_mean, tgt_std = tgt.mean(dim=2), tgt.std(dim=2, unbiased=False)
    return (((out_mean - tgt_mean) ** 2).sum() + ((out_std - tgt_std) ** 2).sum()) / n


class OptimAdam:
    """torch/optim's adam.lua (2016, with learningRateDecay): one state per parameter tensor."""

    def __init__(self, params, lr, lr_decay, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.lr_decay, self.beta1, self.beta2, self.eps = list(params), lr, lr_decay, beta1, beta2, eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads):
        clr = self.lr / (1 + self.t * self.lr_decay)
        self.t += 1
        step_size = clr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.mul_(self.beta1).add_(g, alpha=1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            p.addcdiv_(m, v.sqrt().add_(self.eps), value=-step_size)


def torch_train(arrays):
    """TORCH_TRAIN_STEPS of train.lua on the tiny networks, and optim.adam alone (see the module docstring)."""
    torch.manual_seed(11)
    enc_convs, encode_with_intermediate = ref.tiny_encoder()
    for k, conv in enumerate(enc_convs):
        arrays[f"torchtrain_enc_conv{k}_weight"], arrays[f"torchtrain_enc_conv{k}_bias"] = conv.weight.detach().clone(), conv.bias.detach().clone()
    convs = [nn.Conv2d(8, 6, (3, 3)), nn.Conv2d(6, 4, (3, 3)), nn.Conv2d(4, 4, (3, 3)), nn.Conv2d(4, 3, (3, 3))]
    modules = []
    for k, conv in enumerate(convs):
        modules += [nn.ReflectionPad2d((1, 1, 1, 1)), conv]
        if k < 3:
            modules += [nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest')]
    decoder = nn.Sequential(*modules)
    for k, conv in enumerate(convs):
        arrays[f"torchtrain_conv{k}_weight0"], arrays[f"torchtrain_conv{k}_bias0"] = conv.weight.detach().clone(), conv.bias.detach().clone()
    params = [p for conv in convs for p in (conv.weight, conv.bias)]
    adam = OptimAdam(params, TORCH_TRAIN_LR, TORCH_TRAIN_LR_DECAY)
    for i in range(TORCH_TRAIN_STEPS):
        content, style = torch.rand(2, 3, 16, 24), torch.rand(2, 3, 20, 12)
        arrays[f"torchtrain_content{i}"], arrays[f"torchtrain_style{i}"] = content, style
        with torch.no_grad():
            style_feats = encode_with_intermediate(style)
            t = torch_adain(encode_with_intermediate(content)[-1], style_feats[-1])
        feats = encode_with_intermediate(decoder(t))
        content_loss = F.mse_loss(feats[-1], t)
        style_loss = TORCH_TRAIN_STYLE_WEIGHT * sum(style_in_loss(f, s) for f, s in zip(feats, style_feats))
        grads = torch.autograd.grad(content_loss + style_loss, params)
        for k in range(len(convs)):
            arrays[f"torchtrain_grad{i + 1}_conv{k}_weight"], arrays[f"torchtrain_grad{i + 1}_conv{k}_bias"] = grads[2 * k], grads[2 * k + 1]
        adam.step(grads)
        arrays[f"torchtrain_loss_content{i + 1}"] = content_loss.detach().reshape(1)
        arrays[f"torchtrain_loss_style{i + 1}"] = style_loss.detach().reshape(1)
        for k, conv in enumerate(convs):
            arrays[f"torchtrain_conv{k}_weight{i + 1}"], arrays[f"torchtrain_conv{k}_bias{i + 1}"] = conv.weight.detach().clone(), conv.bias.detach().clone()
    p = torch.randn(37)
    arrays["torchtrain_adam_param0"] = p.clone()
    adam = OptimAdam([p], 0.01, 0.5, eps=1e-6)
    for step in range(1, TORCH_ADAM_STEPS + 1):
        g = torch.randn(37) * (10.0 ** (step - 7))
        adam.step([g])
        arrays[f"torchtrain_adam_grad{step}"], arrays[f"torchtrain_adam_param{step}"] = g, p.clone()
    return {"steps": TORCH_TRAIN_STEPS, "lr": TORCH_TRAIN_LR, "lr_decay": TORCH_TRAIN_LR_DECAY, "content_weight": 1.0,
            "style_weight": TORCH_TRAIN_STYLE_WEIGHT, "adam": {"steps": TORCH_ADAM_STEPS, "lr": 0.01, "lr_decay": 0.5, "eps": 1e-6}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "variants")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    arrays = collections.OrderedDict()
    content = ref.load_image(CONTENT, SIZE, crop=True)
    style = ref.load_image(STYLE, SIZE, crop=True)

    # torch
    ref.seeded_weights(1)
    encoder = ref.encoder_upto_relu4_1().eval()
    decoder = ref.decoder.eval()
    with torch.no_grad():
        features = {}
        for name, image in (("content", content), ("style", style)):
            x = image
            for start, end, stage in ref.ENCODER_STAGES:
                x = ref.vgg[start:end](x)
                features[f"{name}_{stage}"] = x
        t = torch_adain(features["content_relu4_1"], features["style_relu4_1"])
        rescale_last(decoder[-1], decoder, t, 0.5, 0.2)
        arrays["torch_content_input"], arrays["torch_style_input"] = content, style
        for stage in ("relu1_1", "relu2_1", "relu3_1", "relu4_1"):
            arrays[f"torch_content_{stage}"] = features[f"content_{stage}"]
        arrays["torch_style_relu4_1"] = features["style_relu4_1"]
        arrays["torch_t"] = t
        arrays["torch_t_alpha0_5"] = 0.5 * t + 0.5 * features["content_relu4_1"]
        arrays["torch_decoded"] = decoder(t)
    # test.lua writes with image.save: truncated levels.
    Image.fromarray(lua_image_save_levels(arrays["torch_decoded"][0])).save(os.path.join(out, "torch_output.png"))
    small = os.path.join(out, "seed_small_content.png")
    Image.open(CONTENT).convert("RGB").crop((100, 200, 190, 224)).save(small)
    lua_cases = {"small": (small, 1.0, False), "whole": (CONTENT, 0.5, False), "crop": (CONTENT, 1.0, True)}
    for case, (path, alpha, crop) in lua_cases.items():
        c, s = lua_size_preprocess(path, SIZE, crop), lua_size_preprocess(STYLE, SIZE, crop)
        with torch.no_grad():
            f_c, f_s = encoder(c), encoder(s)
            decoded = decoder(alpha * torch_adain(f_c, f_s) + (1 - alpha) * f_c)[0, :, :c.shape[2], :c.shape[3]]
        Image.fromarray(lua_image_save_levels(decoded)).save(os.path.join(out, f"torch_test_lua_{case}.png"))
    write_t7(os.path.join(out, "torch_vgg_normalised.t7"), list(ref.vgg.children())[:33])
    write_t7(os.path.join(out, "torch_decoder.t7"), list(decoder.children()))

    # seed
    torch.manual_seed(0)
    vgg19 = torchvision.models.vgg19().eval()
    for m in vgg19.features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.uniform_(m.bias, -0.1, 0.1)
    state = vgg19.state_dict()
    generator = torch.Generator().manual_seed(1)
    for key in [k for k in state if k.startswith("classifier.")]:
        state[key] = torch.randn(3, 2, generator=generator) if key.endswith("weight") else torch.randn(3, generator=generator)
    torch.save(state, os.path.join(out, "seed_vgg19.pth"), _use_new_zipfile_serialization=False)
    seed_encoder = vgg19.features[:21]
    seed_decoder = SeedDecoder().eval()
    for m in seed_decoder.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.uniform_(m.bias, -0.1, 0.1)
    with torch.no_grad():
        x_c, x_s = imagenet_normalize(content), imagenet_normalize(style)
        stages = {"relu1_1": 2, "relu2_1": 7, "relu3_1": 12, "relu4_1": 21}
        features = {}
        for name, image in (("content", x_c), ("style", x_s)):
            for stage, end in stages.items():
                features[f"{name}_{stage}"] = seed_encoder[:end](image)
        t = seed_adain(features["content_relu4_1"], features["style_relu4_1"])
        rescale_last(seed_decoder.net[3][2], seed_decoder, t, 0.0, 0.9)
        arrays["seed_content_input"], arrays["seed_style_input"] = content, style
        for stage in stages:
            arrays[f"seed_content_{stage}"] = features[f"content_{stage}"]
        arrays["seed_style_relu4_1"] = features["style_relu4_1"]
        arrays["seed_t"] = t
        arrays["seed_t_alpha0_5"] = 0.5 * t + 0.5 * features["content_relu4_1"]
        arrays["seed_decoded"] = seed_decoder(t)
    # The seed writes its images truncated (infer.py's postprocess: (img * 255).astype(np.uint8)).
    seed_pixels = (inv_normz(arrays["seed_decoded"][0]).permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    Image.fromarray(seed_pixels).save(os.path.join(out, "seed_output.png"))
    torch.save(seed_decoder.state_dict(), os.path.join(out, "seed_decoder.pth"))
    ones = torch.ones(1, 3, SIZE, SIZE)
    torch.onnx.export(SeedStyleNet(seed_encoder, seed_decoder).eval(), (ones, ones, torch.tensor([1.0])),
                      os.path.join(out, "seed_stylenet.onnx"), input_names=["content_img", "style_img", "alpha"],
                      output_names=["output_img"], opset_version=9)
    seed_cases = {"small": (small, 1.0), "whole": (CONTENT, 0.5)}
    for case, (path, alpha) in seed_cases.items():
        pixels = seed_infer(seed_encoder, seed_decoder, path, STYLE, SEED_IMSIZE, alpha)
        Image.fromarray(pixels).save(os.path.join(out, f"seed_infer_{case}.png"))
    seed_train(out, seed_encoder, seed_decoder, content, style, arrays)
    loaded = torch.load(os.path.join(out, "seed_decoder.pth"))
    assert sorted(loaded) == sorted(f"net.{b}.{i}.{p}" for b, i in ((0, 0), (1, 0), (1, 2), (1, 4), (1, 6), (2, 0), (2, 2), (3, 0), (3, 2))
                                    for p in ("weight", "bias")), sorted(loaded)

    index = {"arrays": {}, "scalars": {"content": os.path.relpath(CONTENT, SHARED), "style": os.path.relpath(STYLE, SHARED), "size": SIZE},
             "seed_infer": [{"case": case, "content": os.path.basename(path) if path == small else os.path.relpath(path, SHARED),
                             "alpha": alpha, "imsize": SEED_IMSIZE} for case, (path, alpha) in seed_cases.items()],
             "torch_test_lua": [{"case": case, "content": os.path.basename(path) if path == small else os.path.relpath(path, SHARED),
                                 "alpha": alpha, "crop": crop, "size": SIZE} for case, (path, alpha, crop) in lua_cases.items()],
             "torchtrain": torch_train(arrays)}
    for name, tensor in arrays.items():
        tensor.detach().contiguous().float().numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
        index["arrays"][name] = list(tensor.shape)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"variants: {total} bytes in {out}")


if __name__ == "__main__":
    main()
