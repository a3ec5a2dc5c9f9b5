"""Writes the weight files of the other AdaIN releases, and their expected tensors, to .goldens/formats/.

Usage: Scripts/goldens_formats.py [OUTDIR] (run by Scripts/make-goldens; it re-runs itself with
.build-goldens/venv/bin/python, the venv Scripts/test makes with PyPI's torchfile and onnx, pinned,
on top of Debian's python3-torch).

Torch7 (xunhuang1995/AdaIN-style's .t7 files), written by the small Torch7 serialiser below (the
format of torch7's File.lua writeObject and generic/Tensor.c / generic/Storage.c write, 8-byte
longs) and read back with PyPI's torchfile to prove them valid:
- vgg_normalised.t7: the 53 modules of AdaIN-style's vgg_normalised.t7 (the 1x1 colour conv, then
  VGG-19's convolutions with reflection padding, ReLUs, ceil-mode max pooling) at tiny channel
  counts, as nn writes modules: every field (gradWeight, output, _type, train...), FloatTensors, the
  Sequential's output shared with its last module's (an object reference), one weight at a storage
  offset of 1.
- decoder.t7: the decoder's layout (SpatialReflectionPadding, SpatialConvolution, ReLU,
  SpatialUpSamplingNearest with its LongStorage fields) with DoubleTensor weights that all view one
  storage at their offsets, as nn's getParameters() leaves them (AdaIN-style's train.lua saves its
  decoder that way).
- Expected: <name>.expected.safetensors, keys "<module index>.weight" / ".bias" (0-based, float32;
  doubles rounded as numpy's astype(float32) does), and index.json listing each file's modules.

ONNX (aadhithya/AdaIN-pytorch's export.py: torch.onnx.export at opset 9, inputs content_img,
style_img, alpha): seed_tiny.onnx, a seeded tiny net of the seed's StyleNet layout (zero-padded
VGG convs, max pooling, its AdaIN with the unbiased std + 1e-8, the alpha blend, a reflect-padded
decoder with nearest upsampling); onnx.checker accepts it. seed_tiny.expected.safetensors holds
its initializers as onnx.numpy_helper reads them, index.json its nodes (op_type, inputs, outputs).

torchvision VGG-19 (vgg19-dcbb9e9d.pth is a legacy-format torch.save of vgg19().state_dict()):
vgg19_small_classifier_legacy.pth and _zip.pth, a seeded torchvision vgg19() state_dict whose
classifier.{0,3,6}.{weight,bias} are replaced by small random tensors under the same keys (the real
ones are 548 MB); vgg19_features.expected.safetensors holds features.0 .. features.19.
"""

import collections
import json
import os
import struct
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".build-goldens", "venv")

try:
    import onnx
    import onnx.numpy_helper
    import torchfile
except ImportError:
    python = os.path.join(VENV, "bin", "python")
    if os.path.exists(python) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(python, [python] + sys.argv)
    sys.exit("goldens_formats.py needs PyPI's torchfile and onnx: Scripts/test installs them into .build-goldens/venv")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_adain as ref  # noqa: E402


# ---------------------------------------------------------------------------------------------
# A Torch7 serialiser (torch7's File.lua writeObject, binary mode, little endian, 8-byte longs).

TYPE_NIL, TYPE_NUMBER, TYPE_STRING, TYPE_TABLE, TYPE_TORCH, TYPE_BOOLEAN = 0, 1, 2, 3, 4, 5
STORAGE_FORMATS = {"torch.FloatStorage": "<f4", "torch.DoubleStorage": "<f8", "torch.LongStorage": "<i8"}


class Table:
    """A Lua table: items in write order (keys are str, int or float)."""

    def __init__(self, items):
        self.items = list(items.items()) if isinstance(items, dict) else list(items)


class Storage:
    def __init__(self, class_name, values):
        self.class_name = class_name
        self.values = np.asarray(values, dtype=STORAGE_FORMATS[class_name])


class Tensor:
    """A torch.*Tensor over `storage` (None for an empty tensor), 0-based offset."""

    def __init__(self, class_name, size, stride, offset, storage):
        self.class_name, self.size, self.stride, self.offset, self.storage = class_name, size, stride, offset, storage


class Module:
    """An nn module: written as its class name and a table of its fields."""

    def __init__(self, class_name, fields):
        self.class_name, self.fields = class_name, fields


class T7Writer:
    def __init__(self):
        self.out = bytearray()
        self.indices = {}
        self.written = []  # keeps every written object alive, so that no id() is reused

    def int(self, value):
        self.out += struct.pack("<i", value)

    def long(self, value):
        self.out += struct.pack("<q", value)

    def string(self, text):
        raw = text.encode()
        self.int(len(raw))
        self.out += raw

    def reference(self, obj):
        """Writes the object's index; True when it was written before (only the index then)."""
        if id(obj) in self.indices:
            self.int(self.indices[id(obj)])
            return True
        self.indices[id(obj)] = len(self.indices) + 1
        self.written.append(obj)
        self.int(self.indices[id(obj)])
        return False

    def object(self, value):
        if value is None:
            self.int(TYPE_NIL)
        elif isinstance(value, bool):
            self.int(TYPE_BOOLEAN)
            self.int(1 if value else 0)
        elif isinstance(value, (int, float)):
            self.int(TYPE_NUMBER)
            self.out += struct.pack("<d", float(value))
        elif isinstance(value, str):
            self.int(TYPE_STRING)
            self.string(value)
        elif isinstance(value, Table):
            self.int(TYPE_TABLE)
            if not self.reference(value):
                self.int(len(value.items))
                for k, v in value.items:
                    self.object(k)
                    self.object(v)
        elif isinstance(value, (Storage, Tensor, Module)):
            self.int(TYPE_TORCH)
            if self.reference(value):
                return
            self.string("V 1")
            self.string(value.class_name)
            if isinstance(value, Storage):      # generic/Storage.c write: size, then the raw elements
                self.long(len(value.values))
                self.out += value.values.tobytes()
            elif isinstance(value, Tensor):     # generic/Tensor.c write
                self.int(len(value.size))
                for s in value.size:
                    self.long(s)
                for s in value.stride:
                    self.long(s)
                self.long(value.offset + 1)     # "to respect Lua convention"
                self.object(value.storage)
            else:                               # a Lua class without write(): a fresh table of its fields
                self.object(Table(value.fields))
        else:
            raise TypeError(type(value))


def float_tensor(array, class_name="torch.FloatTensor", offset=0):
    array = np.ascontiguousarray(array)
    storage_class = class_name.replace("Tensor", "Storage")
    flat = np.concatenate([np.full(offset, 7.0), array.reshape(-1)]) if offset else array.reshape(-1)
    stride = [int(np.prod(array.shape[i + 1:])) for i in range(array.ndim)]
    return Tensor(class_name, list(array.shape), stride, offset, Storage(storage_class, flat))


def empty_tensor(class_name="torch.FloatTensor"):
    return Tensor(class_name, [], [], 0, None)


def common_fields(tensor_class):
    return {"output": empty_tensor(tensor_class), "gradInput": empty_tensor(tensor_class), "_type": tensor_class, "train": False}


class FlatParameters:
    """One storage that every weight and bias views, as nn's getParameters() leaves a network (and
    AdaIN-style's train.lua saves its decoder after it: dec:getParameters(), then clone and float)."""

    def __init__(self, tensor_class):
        self.tensor_class = tensor_class
        self.storage = Storage(tensor_class.replace("Tensor", "Storage"), [])
        self.parts = []

    def tensor(self, array):
        offset = sum(len(p) for p in self.parts)
        self.parts.append(array.reshape(-1))
        stride = [int(np.prod(array.shape[i + 1:])) for i in range(array.ndim)]
        return Tensor(self.tensor_class, list(array.shape), stride, offset, self.storage)

    def finish(self):
        self.storage.values = np.concatenate(self.parts).astype(self.storage.values.dtype)


def t7_modules(sequential, channels, rng, tensor_class, offset_module=None, flat=None):
    """nn modules for the torch modules of pytorch_adain's tables, channel counts mapped by `channels`;
    the weights and biases view one storage when `flat` (a FlatParameters) is given."""
    modules, expected = [], collections.OrderedDict()
    dtype = np.float32 if tensor_class == "torch.FloatTensor" else np.float64
    for index, m in enumerate(sequential):
        fields = common_fields(tensor_class)
        if isinstance(m, nn.Conv2d):
            n_in, n_out = channels[m.in_channels], channels[m.out_channels]
            kh, kw = m.kernel_size
            weight = rng.standard_normal((n_out, n_in, kh, kw)).astype(dtype)
            bias = rng.uniform(-0.1, 0.1, n_out).astype(dtype)
            fields.update({
                "nInputPlane": n_in, "nOutputPlane": n_out, "kW": kw, "kH": kh, "dW": 1, "dH": 1, "padW": 0, "padH": 0,
                "weight": flat.tensor(weight) if flat else float_tensor(weight, tensor_class, offset=1 if index == offset_module else 0),
                "bias": flat.tensor(bias) if flat else float_tensor(bias, tensor_class),
                "gradWeight": float_tensor(np.zeros_like(weight), tensor_class), "gradBias": float_tensor(np.zeros_like(bias), tensor_class),
                "finput": empty_tensor(tensor_class), "fgradInput": empty_tensor(tensor_class),
            })
            modules.append(Module("nn.SpatialConvolution", fields))
            expected[f"{index}.weight"] = weight.astype(np.float32)
            expected[f"{index}.bias"] = bias.astype(np.float32)
        elif isinstance(m, nn.ReflectionPad2d):
            left, right, top, bottom = m.padding
            fields.update({"pad_l": left, "pad_r": right, "pad_t": top, "pad_b": bottom})
            modules.append(Module("nn.SpatialReflectionPadding", fields))
        elif isinstance(m, nn.ReLU):
            fields.update({"threshold": 0, "val": 0, "inplace": False})
            modules.append(Module("nn.ReLU", fields))
        elif isinstance(m, nn.MaxPool2d):
            fields.update({"kW": 2, "kH": 2, "dW": 2, "dH": 2, "padW": 0, "padH": 0, "ceil_mode": bool(m.ceil_mode),
                           "indices": empty_tensor("torch.LongTensor")})
            modules.append(Module("nn.SpatialMaxPooling", fields))
        elif isinstance(m, nn.Upsample):
            fields.update({"scale_factor": int(m.scale_factor), "inputSize": Storage("torch.LongStorage", [0, 0, 0, 0]),
                           "outputSize": Storage("torch.LongStorage", [0, 0, 0, 0])})
            modules.append(Module("nn.SpatialUpSamplingNearest", fields))
        else:
            raise TypeError(type(m))
    sequential_fields = common_fields(tensor_class)
    sequential_fields["modules"] = Table([(float(i + 1), module) for i, module in enumerate(modules)])
    sequential_fields["output"] = modules[-1].fields["output"]   # nn.Sequential's output is its last module's
    return Module("nn.Sequential", sequential_fields), expected


def describe(module):
    """The module list as the Swift reader gives it, for index.json."""
    out = []
    for m in module.fields["modules"].items:
        m = m[1]
        f = m.fields
        entry = {"class": m.class_name}
        if m.class_name == "nn.SpatialConvolution":
            entry.update({k: f[k] for k in ("nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH")})
        elif m.class_name == "nn.SpatialReflectionPadding":
            entry.update({k: f[k] for k in ("pad_l", "pad_r", "pad_t", "pad_b")})
        elif m.class_name == "nn.SpatialMaxPooling":
            entry.update({k: f[k] for k in ("kW", "kH", "dW", "dH", "padW", "padH", "ceil_mode")})
        elif m.class_name == "nn.SpatialUpSamplingNearest":
            entry["scale_factor"] = f["scale_factor"]
        out.append(entry)
    return out


def check_with_torchfile(path, expected, description):
    """PyPI's torchfile reads the file back: module classes and every weight and bias."""
    loaded = torchfile.load(path, utf8_decode_strings=True)
    assert loaded.torch_typename() == b"nn.Sequential", loaded.torch_typename()
    modules = loaded.modules
    assert len(modules) == len(description)
    for index, (module, entry) in enumerate(zip(modules, description)):
        assert module.torch_typename().decode() == entry["class"], (index, module.torch_typename())
        for key, value in entry.items():
            if key != "class":
                assert module[key] == value, (index, key, module[key], value)
        if entry["class"] == "nn.SpatialConvolution":
            assert np.array_equal(module.weight.astype(np.float32), expected[f"{index}.weight"]), index
            assert np.array_equal(module.bias.astype(np.float32), expected[f"{index}.bias"]), index
    assert loaded.output is modules[-1].output or len(loaded.output) == 0


# ---------------------------------------------------------------------------------------------
# The seed's network (aadhithya/AdaIN-pytorch model.py) at tiny channel counts, for ONNX export.

class SeedTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 4, 3, 1, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 1, 1), nn.ReLU(),
            nn.MaxPool2d(2, 2), nn.Conv2d(4, 8, 3, 1, 1), nn.ReLU())
        self.decoder = nn.ModuleList([
            nn.Sequential(nn.Conv2d(8, 4, 3, 1, 1, padding_mode="reflect"), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 4, 3, 1, 1, padding_mode="reflect"), nn.ReLU(),
                          nn.Conv2d(4, 3, 3, 1, 1, padding_mode="reflect")),
        ])

    @staticmethod
    def mean_std(feats, eps=1e-8):
        n, c, _, _ = feats.shape
        feats = feats.view(n, c, -1)
        return torch.mean(feats, dim=-1).view(n, c, 1, 1), torch.std(feats, dim=-1).view(n, c, 1, 1) + eps

    def forward(self, content, style, alpha):
        features = self.encoder(torch.cat((content, style), 0))
        c, s = torch.chunk(features, 2, dim=0)
        c_mean, c_std = self.mean_std(c)
        s_mean, s_std = self.mean_std(s)
        t = s_std * ((c - c_mean) / c_std) + s_mean
        x = alpha * t + (1 - alpha) * c
        for index, block in enumerate(self.decoder):
            x = block(x)
            if index < len(self.decoder) - 1:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x


def attributes(node):
    """A node's int, float and string attributes (single or lists) as onnx.helper reads them."""
    kinds = {onnx.AttributeProto.INT: "int", onnx.AttributeProto.INTS: "ints", onnx.AttributeProto.FLOAT: "float",
             onnx.AttributeProto.FLOATS: "floats", onnx.AttributeProto.STRING: "string"}
    out = {}
    for a in node.attribute:
        if a.type in kinds:
            value = onnx.helper.get_attribute_value(a)
            out[a.name] = {kinds[a.type]: value.decode() if isinstance(value, bytes) else list(value) if kinds[a.type].endswith("s") else value}
        else:
            out[a.name] = {"other": int(a.type)}
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "formats")
    os.makedirs(out, exist_ok=True)
    index = {"t7": {}, "onnx": {}, "vgg19": {}}

    def path(name):
        return os.path.join(out, name)

    # Torch7.
    channels = {3: 3, 64: 2, 128: 4, 256: 4, 512: 8}
    rng = np.random.default_rng(0)
    for name, sequential, tensor_class, offset_module, flat in (
            ("vgg_normalised", ref.vgg, "torch.FloatTensor", 2, None),
            ("decoder", ref.decoder, "torch.DoubleTensor", None, FlatParameters("torch.DoubleTensor"))):
        module, expected = t7_modules(sequential, channels, rng, tensor_class, offset_module, flat)
        if flat:
            flat.finish()
        writer = T7Writer()
        writer.object(module)
        with open(path(f"{name}.t7"), "wb") as f:
            f.write(writer.out)
        description = describe(module)
        check_with_torchfile(path(f"{name}.t7"), expected, description)
        ref.save_safetensors(expected, path(f"{name}.expected.safetensors"))
        index["t7"][f"{name}.t7"] = {"expected": f"{name}.expected.safetensors", "modules": description}

    # ONNX, as the seed's export.py.
    torch.manual_seed(0)
    model = SeedTiny().eval()
    image = torch.ones(1, 3, 16, 16)
    torch.onnx.export(model, (image, image, torch.Tensor([1.0])), path("seed_tiny.onnx"),
                      input_names=["content_img", "style_img", "alpha"], output_names=["output_img"], opset_version=9)
    proto = onnx.load(path("seed_tiny.onnx"))
    onnx.checker.check_model(proto)
    initializers = collections.OrderedDict(
        (t.name, onnx.numpy_helper.to_array(t)) for t in proto.graph.initializer)
    assert all(a.dtype == np.float32 for a in initializers.values()), {k: a.dtype for k, a in initializers.items()}
    ref.save_safetensors(initializers, path("seed_tiny.expected.safetensors"))
    index["onnx"]["seed_tiny.onnx"] = {
        "expected": "seed_tiny.expected.safetensors",
        "inputs": [i.name for i in proto.graph.input], "outputs": [o.name for o in proto.graph.output],
        "nodes": [{"op_type": n.op_type, "inputs": list(n.input), "outputs": list(n.output), "attributes": attributes(n)}
                  for n in proto.graph.node],
    }

    # torchvision's VGG-19 with a small classifier under the real keys.
    torch.manual_seed(0)
    state = torchvision.models.vgg19().state_dict()
    generator = torch.Generator().manual_seed(1)
    for key in [k for k in state if k.startswith("classifier.")]:
        state[key] = torch.randn(3, 2, generator=generator) if key.endswith("weight") else torch.randn(3, generator=generator)
    torch.save(state, path("vgg19_small_classifier_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(state, path("vgg19_small_classifier_zip.pth"))
    for name in ("vgg19_small_classifier_legacy.pth", "vgg19_small_classifier_zip.pth"):
        loaded = torch.load(path(name))
        assert list(loaded) == list(state) and all(torch.equal(loaded[k], state[k]) for k in state)
    features = collections.OrderedDict(
        (k, v.numpy()) for k, v in state.items() if k.startswith("features.") and int(k.split(".")[1]) <= 19)
    assert len(features) == 18  # conv1_1 .. conv4_1: 9 convolutions
    ref.save_safetensors(features, path("vgg19_features.expected.safetensors"))
    index["vgg19"] = {"files": ["vgg19_small_classifier_legacy.pth", "vgg19_small_classifier_zip.pth"],
                      "expected": "vgg19_features.expected.safetensors", "keys": list(state)}

    with open(path("index.json"), "w") as f:
        json.dump(index, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"formats: {total} bytes in {out}")


if __name__ == "__main__":
    main()
