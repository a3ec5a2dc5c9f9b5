"""Writes PyTorch reference outputs for style interpolation, spatial masks and colour preservation
to .goldens/controls/.

Usage: /usr/bin/python3 Scripts/goldens_controls.py [OUTDIR]

The weights are the seeded ones of goldens_network.py, rebuilt here the same way (seed 0, then
the decoder's output rescaled on that script's content and style), so that the Swift tests load
them from .goldens/network/; when those files exist this script checks that they are identical.

References:
- interpolation: pytorch-AdaIN's test.py `style_transfer` with `interpolation_weights` (normalised
  to sum 1), called as test.py does, with the styles stacked in one batch.
- mask: AdaIN-style's test.lua spatial control, ported to torch: the mask is resized to the
  feature map by nearest neighbour (feature row i takes mask row floor(i * H_mask / H_feat),
  columns alike), binarised at 0.5 (white, >= 0.5, is the first style), the content feature
  positions of each region are selected with index_select, each subset gets AdaIN with its style
  (pytorch-AdaIN's calc_mean_std: unbiased variance + 1e-5), and index_copy puts them back.
- soft / labels: stylectl's extension (see Sources/StyleTransfer/Controls/SpatialMasks.swift),
  written independently here: weighted region statistics with reliability weights
  (variance = sum w (x - mean)^2 / (V1 - V2 / V1), V1 = sum w, V2 = sum w^2), the target
  feature = sum_r w_r(p) / sum_r' w_r'(p) * AdaIN_r(p).
- coral: pytorch-AdaIN's function.py `coral` (copied below; MIT licence), applied to the style
  image before encoding, as test.py's --preserve_color.
- luminance: Gatys et al. 2017, luminance-only transfer in YIQ, written independently here.
- mask fidelity: the binary-mask output's relu1_1 ... relu4_1 (PyTorch's encoder), each region's
  positions selected at each layer's size as above, their calc_mean_std against each style's,
  nn.MSELoss of means plus of stds summed over layers: mask_fidelity_losses[r][s].

Every array is raw little-endian float32 (*.f32); index.json holds the inputs and shapes.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldens_network as network_goldens  # noqa: E402
import pytorch_adain as ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = network_goldens.SHARED
CONTENT = os.path.join(SHARED, "content", "cornell.jpg")
CONTENT_SIZE = 90
STYLE_SIZE = 64
# Two styles of the same size, so that test.py's torch.stack of the style images works.
INTERP_STYLES = [os.path.join(SHARED, "style", n) for n in ("mondrian_cropped.jpg", "woman_in_peasant_dress_cropped.jpg")]
INTERP_WEIGHTS = [1, 3]
INTERP_ALPHA = 0.6
MASK_CONTENT = os.path.join(SHARED, "content", "blonde_girl.jpg")  # 600 x 800, as mask.png
MASK_CONTENT_SIZE = 96
MASK = os.path.join(SHARED, "mask", "mask.png")
MASK_STYLES = [os.path.join(SHARED, "style", n) for n in ("woman_with_hat_matisse.jpg", "sketch.png")]
MASK_ALPHA = 0.8
LABEL_STYLES = MASK_STYLES + [os.path.join(SHARED, "style", "mondrian.jpg")]
COLOR_STYLE = os.path.join(SHARED, "style", "woman_with_hat_matisse.jpg")

# RGB -> YIQ (NTSC, FCC 1953 coefficients); the Swift side uses the same matrix and its inverse.
RGB_TO_YIQ = np.array([
    [0.299, 0.587, 0.114],
    [0.595716, -0.274453, -0.321263],
    [0.211456, -0.522591, 0.311135],
], dtype=np.float64)


# pytorch-AdaIN function.py (MIT licence): coral and its helpers, unchanged.
def _calc_feat_flatten_mean_std(feat):
    # takes 3D feat (C, H, W), return mean and std of array within channels
    assert (feat.size()[0] == 3)
    assert (isinstance(feat, torch.FloatTensor))
    feat_flatten = feat.view(3, -1)
    mean = feat_flatten.mean(dim=-1, keepdim=True)
    std = feat_flatten.std(dim=-1, keepdim=True)
    return feat_flatten, mean, std


def _mat_sqrt(x):
    U, D, V = torch.svd(x)
    return torch.mm(torch.mm(U, D.pow(0.5).diag()), V.t())


def coral(source, target):
    # assume both source and target are 3D array (C, H, W)
    # Note: flatten -> f

    source_f, source_f_mean, source_f_std = _calc_feat_flatten_mean_std(source)
    source_f_norm = (source_f - source_f_mean.expand_as(
        source_f)) / source_f_std.expand_as(source_f)
    source_f_cov_eye = \
        torch.mm(source_f_norm, source_f_norm.t()) + torch.eye(3)

    target_f, target_f_mean, target_f_std = _calc_feat_flatten_mean_std(target)
    target_f_norm = (target_f - target_f_mean.expand_as(
        target_f)) / target_f_std.expand_as(target_f)
    target_f_cov_eye = \
        torch.mm(target_f_norm, target_f_norm.t()) + torch.eye(3)

    source_f_norm_transfer = torch.mm(
        _mat_sqrt(target_f_cov_eye),
        torch.mm(torch.inverse(_mat_sqrt(source_f_cov_eye)),
                 source_f_norm)
    )

    source_f_transfer = source_f_norm_transfer * \
        target_f_std.expand_as(source_f_norm) + \
        target_f_mean.expand_as(source_f_norm)

    return source_f_transfer.view(source.size())


def coral_float64(source, target):
    """coral above computed in float64 throughout (torch.svd, torch.inverse, torch.mm in double):
    the reference near float rounding that float32 torch, whose sums over thousands of pixels
    carry their own rounding, cannot be."""
    def normalised(feat):
        f = feat.double().reshape(3, -1)
        mean, std = f.mean(dim=-1, keepdim=True), f.std(dim=-1, keepdim=True)
        return (f - mean) / std, mean, std

    def mat_sqrt(x):
        u, d, v = torch.svd(x)
        return u @ d.pow(0.5).diag() @ v.t()

    eye = torch.eye(3, dtype=torch.float64)
    s_norm, _, _ = normalised(source)
    t_norm, t_mean, t_std = normalised(target)
    transfer = mat_sqrt(t_norm @ t_norm.t() + eye) @ torch.inverse(mat_sqrt(s_norm @ s_norm.t() + eye)) @ s_norm
    return (transfer * t_std + t_mean).view(source.size())


def build_weights():
    """goldens_network.py's weights: seeded init, then the decoder output rescaled on its images."""
    ref.seeded_weights(0)
    encoder = ref.encoder_upto_relu4_1().eval()
    decoder = ref.decoder.eval()
    with torch.no_grad():
        content = ref.load_image(network_goldens.CONTENT, network_goldens.CONTENT_SIZE)
        style = ref.load_image(network_goldens.STYLE, network_goldens.STYLE_SIZE)
        x, y = content, style
        for start, end, _ in ref.ENCODER_STAGES:
            x, y = ref.vgg[start:end](x), ref.vgg[start:end](y)
        ref.rescale_decoder_output(ref.adaptive_instance_normalization(x, y))
    return encoder, decoder


def check_against_network_goldens(out):
    """Fails if .goldens/network holds other weights than the ones rebuilt here."""
    folder = os.path.join(os.path.dirname(os.path.abspath(out)), "network")
    for name, net in (("vgg", ref.vgg), ("decoder", ref.decoder)):
        path = os.path.join(folder, f"{name}_zip.pth")
        if not os.path.exists(path):
            continue
        saved = torch.load(path)
        for key, value in net.state_dict().items():
            if not torch.equal(saved[key], value):
                sys.exit(f"goldens_controls: {path} differs from the rebuilt seeded weights at {key}; "
                         "run Scripts/make-goldens to remake every golden")


def feature_rows(n_feat, n_mask):
    """Nearest-neighbour resizing: feature index i takes mask index floor(i * n_mask / n_feat)."""
    return [i * n_mask // n_feat for i in range(n_feat)]


def mask_grey(path):
    """A mask image as grey levels in [0, 1], H x W: a grey pixel's value, else its Rec. 601 luma."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    is_grey = (rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])
    return np.where(is_grey, rgb[..., 0], rgb @ RGB_TO_YIQ[0])


def resize_to_features(grey, h_feat, w_feat):
    rows = feature_rows(h_feat, grey.shape[0])
    cols = feature_rows(w_feat, grey.shape[1])
    return grey[np.ix_(rows, cols)]


def torch_mask_transfer(content_f, style_fs, fg):
    """test.lua's spatial control: AdaIN of each region's positions with that region's style."""
    _, C, H, W = content_f.shape
    flat = content_f.view(C, H * W)
    target = torch.zeros_like(flat)
    positions = torch.from_numpy(fg.reshape(-1))
    for selected, style_f in ((positions, style_fs[0]), (~positions, style_fs[1])):
        index = torch.nonzero(selected).view(-1)
        subset = flat.index_select(1, index).view(1, C, -1, 1)
        target.index_copy_(1, index, ref.adaptive_instance_normalization(subset, style_f).view(C, -1))
    return target.view(1, C, H, W)


def weighted_transfer(content_f, style_fs, weights):
    """stylectl's soft masks: weighted region statistics, AdaIN per region, per-position blend."""
    _, C, H, W = content_f.shape
    x = content_f.view(C, H * W).double()
    w = torch.from_numpy(weights.reshape(len(style_fs), H * W)).double()
    total = w.sum(0)
    target = torch.zeros_like(x)
    for r, style_f in enumerate(style_fs):
        v1, v2 = w[r].sum(), (w[r] ** 2).sum()
        mean = (x * w[r]).sum(1, keepdim=True) / v1
        var = ((x - mean) ** 2 * w[r]).sum(1, keepdim=True) / (v1 - v2 / v1) + 1e-5
        s_mean, s_std = ref.calc_mean_std(style_f)
        adain = (x - mean) / var.sqrt() * s_std.view(C, 1).double() + s_mean.view(C, 1).double()
        target += w[r] / torch.where(total > 0, total, torch.ones_like(total)) * adain
    target = torch.where(total > 0, target, x)  # positions no region covers keep the content feature
    return target.float().view(1, C, H, W)


def luminance(image):
    """Rec. 601 luma of a (1, 3, H, W) tensor, as (1, 1, H, W)."""
    m = torch.tensor(RGB_TO_YIQ[0], dtype=torch.float32).view(1, 3, 1, 1)
    return (image * m).sum(1, keepdim=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "controls")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    encoder, decoder = build_weights()
    check_against_network_goldens(out)
    arrays = {}
    soft_mask_path = os.path.join(out, "soft_mask.png")
    label_mask_path = os.path.join(out, "label_mask.png")

    with torch.no_grad():
        # Interpolation as test.py: styles stacked, content repeated over the batch (test.py's
        # expand_as(style) also needs the content to have the styles' size; expand does not).
        content = ref.load_image(CONTENT, CONTENT_SIZE)
        styles = torch.cat([ref.load_image(p, STYLE_SIZE) for p in INTERP_STYLES])
        weights = [w / sum(INTERP_WEIGHTS) for w in INTERP_WEIGHTS]
        content_f = encoder(content)
        style_f = encoder(styles)
        target = sum(w * ref.adaptive_instance_normalization(content_f, style_f[i:i + 1]) for i, w in enumerate(weights))
        arrays["interp_target"] = target * INTERP_ALPHA + content_f * (1 - INTERP_ALPHA)
        arrays["interp_decoded"] = ref.style_transfer(
            encoder, decoder, content.expand(len(INTERP_STYLES), -1, -1, -1), styles, INTERP_ALPHA, weights)

        # Binary mask, as test.lua.
        mask_content = ref.load_image(MASK_CONTENT, MASK_CONTENT_SIZE)
        mask_content_f = encoder(mask_content)
        mask_style_fs = [encoder(ref.load_image(p, STYLE_SIZE)) for p in LABEL_STYLES]
        _, _, hf, wf = mask_content_f.shape
        grey = resize_to_features(mask_grey(MASK), hf, wf)
        fg = grey >= 0.5
        target = torch_mask_transfer(mask_content_f, mask_style_fs[:2], fg)
        arrays["mask_target"] = target * MASK_ALPHA + mask_content_f * (1 - MASK_ALPHA)
        arrays["mask_decoded"] = decoder(arrays["mask_target"])

        # Mask fidelity of that output: each region's style loss against each style.
        def stages(image):
            feats, x = [], image
            for start, end, _ in ref.ENCODER_STAGES:
                x = ref.vgg[start:end](x)
                feats.append(x)
            return feats
        output_feats = stages(arrays["mask_decoded"])
        style_stats = [[ref.calc_mean_std(f) for f in stages(ref.load_image(p, STYLE_SIZE))] for p in MASK_STYLES]
        fidelity = torch.zeros(2, 2, dtype=torch.float64)
        for layer, feat in enumerate(output_feats):
            _, C, h, w = feat.shape
            region_fg = torch.from_numpy(resize_to_features(mask_grey(MASK), h, w).reshape(-1) >= 0.5)
            for r, selected in enumerate((region_fg, ~region_fg)):
                index = torch.nonzero(selected).view(-1)
                mean, std = ref.calc_mean_std(feat.view(C, h * w).index_select(1, index).view(1, C, -1, 1))
                for s in range(2):
                    s_mean, s_std = style_stats[s][layer]
                    fidelity[r, s] += (F.mse_loss(mean, s_mean) + F.mse_loss(std, s_std)).double()
        arrays["mask_fidelity_losses"] = fidelity

        # Soft mask: a horizontal ramp with a flat white and a flat black part, 8-bit PNG.
        mh, mw = 800, 600
        ramp = np.clip((np.arange(mw) - 150) / 300.0, 0, 1)
        soft = np.round(np.tile(ramp, (mh, 1)) * 255).astype(np.uint8)
        Image.fromarray(soft, "L").save(soft_mask_path)
        m = resize_to_features(mask_grey(soft_mask_path), hf, wf)
        arrays["soft_target"] = weighted_transfer(mask_content_f, mask_style_fs[:2], np.stack([m, 1 - m]))

        # Label map: three horizontal bands with grey levels 0, 128, 255 -> styles 1, 2, 3.
        levels = np.zeros((mh, mw), dtype=np.uint8)
        levels[mh // 3: 2 * mh // 3] = 128
        levels[2 * mh // 3:] = 255
        Image.fromarray(levels, "L").save(label_mask_path)
        bands = resize_to_features(np.asarray(Image.open(label_mask_path), dtype=np.int64), hf, wf)
        one_hot = np.stack([(bands == v).astype(np.float64) for v in (0, 128, 255)])
        arrays["labels_target"] = weighted_transfer(mask_content_f, mask_style_fs, one_hot)

        # Colour preservation: coral, as test.py --preserve_color.
        style = ref.load_image(COLOR_STYLE, STYLE_SIZE)
        coral_style = coral(style[0], content[0]).unsqueeze(0)
        arrays["coral_style"] = coral_style
        arrays["coral_style_f64"] = coral_float64(style[0], content[0]).unsqueeze(0)
        arrays["coral_decoded"] = ref.style_transfer(encoder, decoder, content, coral_style, 1.0)

        # Colour preservation: luminance-only transfer (Gatys et al. 2017), alpha 1.
        yc, ys = luminance(content), luminance(style)
        ys = (ys - ys.mean()) * (yc.std() / ys.std()) + yc.mean()
        out_rgb = ref.style_transfer(encoder, decoder, yc.expand(1, 3, -1, -1), ys.expand(1, 3, -1, -1), 1.0)
        _, _, h, w = content.shape
        out_rgb = out_rgb[:, :, :h, :w]
        yiq_c = torch.einsum("ij,njhw->nihw", torch.tensor(RGB_TO_YIQ, dtype=torch.float32), content)
        yiq = torch.cat([luminance(out_rgb), yiq_c[:, 1:]], 1)
        yiq_to_rgb = torch.tensor(np.linalg.inv(RGB_TO_YIQ), dtype=torch.float32)
        arrays["luminance_output"] = torch.einsum("ij,njhw->nihw", yiq_to_rgb, yiq)

    for name, tensor in arrays.items():
        tensor.detach().contiguous().float().numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
    rel = lambda p: os.path.relpath(p, SHARED)  # noqa: E731
    index = {
        "content": rel(CONTENT), "content_size": CONTENT_SIZE, "style_size": STYLE_SIZE,
        "interp_styles": [rel(p) for p in INTERP_STYLES], "interp_weights": INTERP_WEIGHTS, "interp_alpha": INTERP_ALPHA,
        "mask_content": rel(MASK_CONTENT), "mask_content_size": MASK_CONTENT_SIZE, "mask": rel(MASK),
        "mask_styles": [rel(p) for p in MASK_STYLES], "mask_alpha": MASK_ALPHA,
        "label_styles": [rel(p) for p in LABEL_STYLES],
        "color_style": rel(COLOR_STYLE),
        "seed": 0, "torch": torch.__version__,
        "arrays": {name: {"shape": list(t.shape)} for name, t in arrays.items()},
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
