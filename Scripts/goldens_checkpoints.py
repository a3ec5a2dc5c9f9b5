"""Writes small PyTorch checkpoints and their expected contents to .goldens/checkpoints/.

Usage: /usr/bin/python3 Scripts/goldens_checkpoints.py [OUTDIR]

Readable files (every one is loaded back with torch.load and checked against the expected values):
- mixed_legacy_p{2,3,4,5}.pth, mixed_zip.pth, mixed_zip_p4.pth: a seeded OrderedDict with _metadata
  holding float32 tensors of several shapes (a 4-D conv weight, a 0-d scalar, an empty tensor),
  non-contiguous views saved as they are (transposed, sliced, broadcast), two tensors sharing one
  storage, float16, bfloat16 and float64 tensors and an nn.Parameter; legacy format with pickle
  protocols 2 to 5 and zip format with protocols 2 and 4.
- sequential_legacy.pth, sequential_zip.pth: state_dict() of a small nn.Sequential of Conv2d layers.
- py2_legacy.pth: a legacy file as PyTorch 0.3 on Python 2 wrote it (written opcode by opcode):
  _rebuild_tensor with four arguments, OrderedDict([[key, value], ...]), byte strings, a storage
  view (view_metadata), a torch.cuda.FloatStorage on 'cuda:0' and a DoubleStorage.
- v3_zip64.pth: a zip written by hand with zip64 extra fields, whose tensors use
  _rebuild_tensor_v3 with torch.UntypedStorage and a dtype, as newer PyTorch does for new dtypes.

Expected values: expected/<dict>/<key>.f32 (raw little-endian float32, row-major); index.json lists
for each dict its files and each tensor's shape and value file, and for each hostile file the error
case the Swift reader must give and the strings its message must contain.

Hostile files: os.system and builtins.eval globals in legacy and zip files and a bare pickle (written
by hand, never executed), a whole pickled nn.Module (torch.save(model)) both ways, a dict with an int
entry, an int64 tensor, a list instead of a dict, and a zip whose data.pkl is deflated.
"""

import collections
import io
import json
import os
import pickle
import pickletools
import struct
import sys
import zipfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = 0x1950A86A20F9469CFC6C
SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 8}}


# ---------------------------------------------------------------------------------------------
# A tiny pickle writer, to produce files no installed PyTorch writes (and hostile ones) without
# ever creating or running the objects they name.

class Global:
    def __init__(self, module, name, stack=False):
        self.module, self.name, self.stack = module, name, stack


class Call:
    """REDUCE: func(*args)."""

    def __init__(self, func, args):
        self.func, self.args = func, args


class PersistentId:
    def __init__(self, pid):
        self.pid = pid


class Long:
    """An int written as LONG1, as Python 2 wrote its `long`s."""

    def __init__(self, value):
        self.value = value


class Py2Str(str):
    """A Python 2 `str`: SHORT_BINSTRING / BINSTRING."""


def emit(value, out):
    if value is None:
        out += b"N"
    elif value is True or value is False:
        out += b"\x88" if value else b"\x89"
    elif isinstance(value, Long):
        out += pickle.LONG1 + bytes([len(raw := pickle.encode_long(value.value))]) + raw
    elif isinstance(value, int):
        if 0 <= value < 256:
            out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            out += b"M" + struct.pack("<H", value)
        elif -2**31 <= value < 2**31:
            out += b"J" + struct.pack("<i", value)
        else:
            emit(Long(value), out)
    elif isinstance(value, Py2Str):
        raw = value.encode()
        out += (b"U" + bytes([len(raw)]) if len(raw) < 256 else b"T" + struct.pack("<i", len(raw))) + raw
    elif isinstance(value, str):
        raw = value.encode()
        out += b"X" + struct.pack("<I", len(raw)) + raw
    elif isinstance(value, tuple):
        if not value:
            out += b")"
        elif len(value) <= 3:
            for item in value:
                emit(item, out)
            out += bytes([0x84 + len(value)])
        else:
            out += b"("
            for item in value:
                emit(item, out)
            out += b"t"
    elif isinstance(value, list):
        out += b"]("
        for item in value:
            emit(item, out)
        out += b"e"
    elif isinstance(value, dict):
        out += b"}("
        for k, v in value.items():
            emit(k, out)
            emit(v, out)
        out += b"u"
    elif isinstance(value, Global):
        if value.stack:
            for part in (value.module, value.name):
                raw = part.encode()
                out += b"\x8c" + bytes([len(raw)]) + raw
            out += b"\x93"
        else:
            out += b"c" + value.module.encode() + b"\n" + value.name.encode() + b"\n"
    elif isinstance(value, Call):
        emit(value.func, out)
        emit(tuple(value.args), out)
        out += b"R"
    elif isinstance(value, PersistentId):
        emit(value.pid, out)
        out += b"Q"
    else:
        raise TypeError(type(value))


def pickled(value, protocol=2):
    out = bytearray(b"\x80" + bytes([protocol]))
    emit(value, out)
    out += b"."
    pickletools.dis(bytes(out), out=io.StringIO())  # a well-formed pickle
    return bytes(out)


def legacy_header(protocol=2):
    return b"".join(pickle.dumps(v, protocol=protocol) for v in (MAGIC, 1001, SYS_INFO))


# ---------------------------------------------------------------------------------------------
# State dicts.

def mixed_state():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(5, 6, generator=g)
    shared = torch.randn(10, generator=g)
    state = collections.OrderedDict()
    state["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    state["conv.bias"] = torch.randn(4, generator=g)
    state["scalar"] = torch.tensor(3.25)
    state["matrix"] = torch.randn(2, 3, generator=g)
    state["empty"] = torch.zeros(0, 3)
    state["transposed"] = base.t()                    # stride (1, 6)
    state["sliced"] = base[1:4, ::2]                   # storage offset 6, stride (6, 2)
    state["broadcast"] = torch.randn(3, 1, generator=g).expand(3, 4)  # stride (1, 0)
    state["shared.first"] = shared[:4]
    state["shared.second"] = shared[4:].view(2, 3)     # same storage, offset 4
    state["half"] = torch.randn(3, 2, generator=g).half()
    state["bfloat"] = torch.randn(4, generator=g).bfloat16()
    state["double"] = torch.randn(5, generator=g, dtype=torch.float64)
    state["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=g))
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1})])
    assert state["sliced"].storage_offset() == 6 and state["sliced"].stride() == (6, 2)
    return state


def sequential_model():
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3), torch.nn.ReLU(), torch.nn.Conv2d(16, 8, 3, bias=False), torch.nn.Conv2d(8, 4, 1))


def f32(values):
    return struct.pack(f"<{len(values)}f", *values)


def f64(values):
    return struct.pack(f"<{len(values)}d", *values)


def py2_legacy_file():
    """PyTorch 0.3 on Python 2: storages A (float, with a view Av), B (cuda float), C (double)."""
    a = [float(i) * 0.5 - 2 for i in range(12)]
    b = [1.0, -2.0, 3.5, 4.25, -5.0, 6.0]
    c = [0.1, 0.2, 0.3, 0.4]

    def storage(kind, key, location, count, view=None, module="torch"):
        return PersistentId((Py2Str("storage"), Global(module, kind), Py2Str(key), Py2Str(location), Long(count), view))

    def tensor(store, offset, size, stride):
        return Call(Global("torch._utils", "_rebuild_tensor"), (store, offset, size, stride))

    items = [
        [Py2Str("features.0.weight"), tensor(storage("FloatStorage", "A", "cpu", 12), 0, (3, 4), (4, 1))],
        [Py2Str("features.0.bias"), tensor(storage("FloatStorage", "A", "cpu", 12, (Py2Str("Av"), 2, 8)), 1, (2, 3), (3, 1))],
        [Py2Str("gpu.weight"), tensor(storage("FloatStorage", "B", "cuda:0", 6, module="torch.cuda"), 0, (2, 3), (1, 2))],
        [Py2Str("double.bias"), tensor(storage("DoubleStorage", "C", "cpu", 4), Long(1), (Long(3),), (Long(1),))],
    ]
    header = pickled(Long(MAGIC)) + pickled(1001) + pickled({Py2Str(k): v for k, v in SYS_INFO.items()})
    main = pickled(Call(Global("collections", "OrderedDict"), (items,)))
    keys = pickled([Py2Str("A"), Py2Str("B"), Py2Str("C")])
    data = b"".join(struct.pack("<q", len(v)) + pack(v) for v, pack in ((a, f32), (b, f32), (c, f64)))
    expected = collections.OrderedDict([
        ("features.0.weight", torch.tensor(a).view(3, 4)),
        ("features.0.bias", torch.tensor(a[2:10])[1:7].view(2, 3)),
        ("gpu.weight", torch.tensor(b).as_strided((2, 3), (1, 2))),
        ("double.bias", torch.tensor(c, dtype=torch.float64)[1:]),
    ])
    return header + main + keys + data, expected


def zip64_archive(folder, records):
    """A stored zip with zip64 extra fields in the local and central headers and zip64 end records."""
    out, central = bytearray(), bytearray()
    for name, data in records:
        raw = f"{folder}/{name}".encode()
        crc = zipfile.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(raw), len(local_extra))
        out += raw + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(raw), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += raw + extra
    cd_offset = len(out)
    out += central
    eocd64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(records), len(records), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


def v3_zip64_file():
    """Tensors as newer PyTorch writes them for new dtypes: an UntypedStorage of bytes and a dtype."""
    w = [0.25 * i - 1 for i in range(6)]
    h = [1.5, -0.75, 2.0, 8.0]
    storage0 = struct.pack("<6f", *w)
    storage1 = b"\x00\x00" + struct.pack("<4e", *h)  # one element of padding: storage offset 1

    def untyped(key, nbytes):
        return PersistentId(("storage", Global("torch", "UntypedStorage", stack=True), key, "cpu", nbytes))

    def tensor(store, offset, size, stride, dtype):
        hooks = Call(Global("collections", "OrderedDict", stack=True), ())
        return Call(Global("torch._utils", "_rebuild_tensor_v3", stack=True),
                    (store, offset, size, stride, False, hooks, Global("torch", dtype, stack=True)))

    state = Call(Global("collections", "OrderedDict", stack=True), ())
    main = bytearray(b"\x80\x04")
    emit(state, main)
    main += b"("
    for key, value in (("w", tensor(untyped("0", len(storage0)), 0, (2, 3), (3, 1), "float32")),
                       ("h", tensor(untyped("1", len(storage1)), 1, (2, 2), (1, 2), "float16"))):
        emit(key, main)
        emit(value, main)
    main += b"u."
    pickletools.dis(bytes(main), out=io.StringIO())
    archive = zip64_archive("v3_zip64", [("data.pkl", bytes(main)), ("byteorder", b"little"),
                                         ("data/0", storage0), ("data/1", storage1), ("version", b"3\n")])
    with zipfile.ZipFile(io.BytesIO(archive)) as z:  # Python's zipfile reads it back
        assert z.read("v3_zip64/data/1") == storage1
    expected = collections.OrderedDict([
        ("w", torch.tensor(w).view(2, 3)),
        ("h", torch.tensor(h, dtype=torch.float16).as_strided((2, 2), (1, 2))),
    ])
    return archive, expected


# ---------------------------------------------------------------------------------------------

def save_legacy(obj, path, protocol=2):
    torch.save(obj, path, _use_new_zipfile_serialization=False, pickle_protocol=protocol)


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".goldens", "checkpoints")
    os.makedirs(out, exist_ok=True)
    index = {"dicts": {}, "hostile": []}

    def path(name):
        return os.path.join(out, name)

    def record(dict_name, state, files):
        for name in files:
            loaded = torch.load(path(name), map_location="cpu")
            assert list(loaded.keys()) == list(state.keys()), name
            for key, tensor in state.items():
                assert same(loaded[key], tensor.detach()), (name, key)
        folder = os.path.join(out, "expected", dict_name)
        os.makedirs(folder, exist_ok=True)
        tensors = {}
        for key, tensor in state.items():
            file = f"expected/{dict_name}/{key}.f32"
            tensor.detach().float().contiguous().numpy().astype("<f4").tofile(path(file))
            tensors[key] = {"shape": list(tensor.shape), "file": file}
        index["dicts"][dict_name] = {"files": files, "tensors": tensors}

    mixed = mixed_state()
    for protocol in (2, 3, 4, 5):
        save_legacy(mixed, path(f"mixed_legacy_p{protocol}.pth"), protocol)
    torch.save(mixed, path("mixed_zip.pth"))
    torch.save(mixed, path("mixed_zip_p4.pth"), pickle_protocol=4)
    record("mixed", mixed, [f"mixed_legacy_p{p}.pth" for p in (2, 3, 4, 5)] + ["mixed_zip.pth", "mixed_zip_p4.pth"])

    model = sequential_model()
    save_legacy(model.state_dict(), path("sequential_legacy.pth"))
    torch.save(model.state_dict(), path("sequential_zip.pth"))
    record("sequential", model.state_dict(), ["sequential_legacy.pth", "sequential_zip.pth"])

    data, expected = py2_legacy_file()
    with open(path("py2_legacy.pth"), "wb") as f:
        f.write(data)
    record("py2", expected, ["py2_legacy.pth"])

    data, expected = v3_zip64_file()
    with open(path("v3_zip64.pth"), "wb") as f:
        f.write(data)
    record("v3", expected, [])  # PyTorch 1.13 has no _rebuild_tensor_v3 to load it with
    index["dicts"]["v3"]["files"] = ["v3_zip64.pth"]

    # Hostile files. Nothing named in them is ever created or run here.
    def hostile(name, error, mentions):
        index["hostile"].append({"file": name, "error": error, "mentions": mentions})

    def write(name, data):
        with open(path(name), "wb") as f:
            f.write(data)

    os_system = Call(Global("os", "system"), ("echo pwned",))
    write("hostile_os_system_legacy.pth", legacy_header() + pickled(os_system) + pickled([]))
    hostile("hostile_os_system_legacy.pth", "forbiddenObject", ["os.system"])
    with zipfile.ZipFile(path("hostile_os_system_zip.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickled(os_system))
        z.writestr("archive/version", "3\n")
    hostile("hostile_os_system_zip.pth", "forbiddenObject", ["os.system"])
    evil = Call(Global("builtins", "eval", stack=True), ("__import__('os').system('echo pwned')",))
    write("hostile_eval_legacy_p4.pth", legacy_header(4) + pickled(evil, protocol=4) + pickle.dumps([], protocol=4))
    hostile("hostile_eval_legacy_p4.pth", "forbiddenObject", ["builtins.eval"])
    getattr_call = Call(Global("__builtin__", "getattr"), (Global("os", "system"), "__call__"))
    write("hostile_getattr_legacy.pth", legacy_header() + pickled(getattr_call) + pickled([]))
    hostile("hostile_getattr_legacy.pth", "forbiddenObject", ["__builtin__.getattr"])
    write("hostile_bare_pickle.pkl", pickled(os_system))
    hostile("hostile_bare_pickle.pkl", "unknownFormat", [])

    torch.save(model, path("hostile_module_zip.pth"))
    hostile("hostile_module_zip.pth", "forbiddenObject", ["torch.nn.modules.container.Sequential"])
    save_legacy(model, path("hostile_module_legacy.pth"))
    hostile("hostile_module_legacy.pth", "forbiddenObject", ["torch.nn.modules.container.Sequential"])

    with_int = collections.OrderedDict([("weight", torch.ones(2)), ("epoch", 3)])
    save_legacy(with_int, path("hostile_int_value_legacy.pth"))
    hostile("hostile_int_value_legacy.pth", "notATensor", ["'epoch'", "an int"])
    torch.save(with_int, path("hostile_int_value_zip.pth"))
    hostile("hostile_int_value_zip.pth", "notATensor", ["'epoch'", "an int"])

    with_long = collections.OrderedDict([("weight", torch.ones(2)), ("indices", torch.arange(4))])
    save_legacy(with_long, path("hostile_int64_legacy.pth"))
    hostile("hostile_int64_legacy.pth", "unsupportedDType", ["'indices'", "int64"])
    torch.save(with_long, path("hostile_int64_zip.pth"))
    hostile("hostile_int64_zip.pth", "unsupportedDType", ["'indices'", "int64"])

    def hand_legacy(size, stride):
        """One tensor 'w' over a float storage of 10 elements, with the given size and stride."""
        store = PersistentId(("storage", Global("torch", "FloatStorage"), "0", "cpu", 10, None))
        hooks = Call(Global("collections", "OrderedDict"), ())
        w = Call(Global("torch._utils", "_rebuild_tensor_v2"), (store, 0, size, stride, False, hooks))
        return (legacy_header() + pickled({"w": w}) + pickled(["0"])
                + struct.pack("<q", 10) + f32([float(i) for i in range(10)]))

    write("hostile_out_of_bounds_legacy.pth", hand_legacy((4, 4), (4, 1)))
    hostile("hostile_out_of_bounds_legacy.pth", "malformed", ["'w'", "reaches element 15 of a storage of 10"])
    write("hostile_huge_size_legacy.pth", hand_legacy((2**40, 2**40), (0, 0)))
    hostile("hostile_huge_size_legacy.pth", "malformed", ["'w'", "impossible size"])

    save_legacy([torch.ones(2)], path("hostile_list_legacy.pth"))
    hostile("hostile_list_legacy.pth", "notAStateDict", ["a list"])

    with zipfile.ZipFile(path("mixed_zip.pth")) as source, \
            zipfile.ZipFile(path("hostile_deflated_zip.pth"), "w") as z:
        for info in source.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename.endswith("/data.pkl") else zipfile.ZIP_STORED
            z.writestr(info.filename, source.read(info.filename), compress_type=method)
    hostile("hostile_deflated_zip.pth", "unsupportedFeature", ["mixed_zip/data.pkl", "compressed"])

    with open(path("not_a_checkpoint.txt"), "w") as f:
        f.write("conv.weight: [1, 2, 3]\n")
    hostile("not_a_checkpoint.txt", "unknownFormat", [])

    with open(path("index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(out) for n in names)
    print(f"checkpoints: {total} bytes in {out}")


if __name__ == "__main__":
    main()
