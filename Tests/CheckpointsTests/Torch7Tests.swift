// Torch7 .t7 files: the golden files of Scripts/goldens_formats.py (checked there with PyPI's
// torchfile) read exactly, and hostile files built here refused with the exact error.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

/// Writes Torch7's binary serialisation (File.lua writeObject), recording where things start.
struct T7Builder {
    var bytes: [UInt8] = []
    var nextIndex: Int32 = 1

    mutating func int(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func long(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func rawString(_ s: String) {
        int(Int32(s.utf8.count))
        bytes += Array(s.utf8)
    }
    mutating func number(_ d: Double) {
        int(1)
        withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes += $0 }
    }
    mutating func string(_ s: String) {
        int(2)
        rawString(s)
    }
    mutating func boolean(_ b: Bool) {
        int(5)
        int(b ? 1 : 0)
    }
    mutating func newIndex() -> Int32 {
        defer { nextIndex += 1 }
        return nextIndex
    }
    mutating func tableHeader(count: Int32) {
        int(3)
        int(newIndex())
        int(count)
    }
    mutating func objectHeader(_ className: String) {
        int(4)
        int(newIndex())
        rawString("V 1")
        rawString(className)
    }
    mutating func floatStorage(_ values: [Float], count: Int64? = nil) {
        objectHeader("torch.FloatStorage")
        long(count ?? Int64(values.count))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    }
    mutating func floatTensor(size: [Int64], stride: [Int64], values: [Float], className: String = "torch.FloatTensor") {
        objectHeader(className)
        int(Int32(size.count))
        for s in size { long(s) }
        for s in stride { long(s) }
        long(1)
        floatStorage(values)
    }
    /// An nn module: its class, then a table of its fields.
    mutating func module(_ className: String, _ fields: [(String, (inout T7Builder) -> Void)]) {
        objectHeader(className)
        tableHeader(count: Int32(fields.count))
        for (name, write) in fields {
            string(name)
            write(&self)
        }
    }
    mutating func sequential(_ modules: [(inout T7Builder) -> Void]) {
        module("nn.Sequential", [("modules", { b in
            b.tableHeader(count: Int32(modules.count))
            for (i, write) in modules.enumerated() {
                b.number(Double(i + 1))
                write(&b)
            }
        })])
    }

    /// A 1x1 convolution of `planes` planes to `planes`.
    static func conv(planes: Int, weights: [Float]) -> (inout T7Builder) -> Void {
        { b in
            let n = Double(planes)
            b.module("nn.SpatialConvolution", [
                ("nInputPlane", { $0.number(n) }), ("nOutputPlane", { $0.number(n) }),
                ("kW", { $0.number(1) }), ("kH", { $0.number(1) }), ("dW", { $0.number(1) }), ("dH", { $0.number(1) }),
                ("weight", { $0.floatTensor(size: [Int64(planes), Int64(planes), 1, 1], stride: [Int64(planes), 1, 1, 1], values: weights) }),
                ("bias", { $0.floatTensor(size: [Int64(planes)], stride: [1], values: (0 ..< planes).map { Float($0) }) }),
            ])
        }
    }

    static func relu(_ b: inout T7Builder) {
        b.module("nn.ReLU", [("threshold", { $0.number(0) }), ("inplace", { $0.boolean(false) })])
    }
}

@Suite struct Torch7Tests {
    static let files = ["vgg_normalised.t7", "decoder.t7"]

    func read(_ bytes: [UInt8], path: String = "test.t7") -> Result<[Torch7Module], CheckpointError> {
        Result { () throws(CheckpointError) in try readTorch7Sequential(Data(bytes), path: path) }
    }

    func error(_ bytes: [UInt8], path: String = "test.t7") -> CheckpointError? {
        if case .failure(let e) = read(bytes, path: path) { return e }
        return nil
    }

    @Test(arguments: files)
    func goldenFilesReadExactly(file: String) throws {
        let index = try FormatGoldenIndex.load()
        let entry = try #require(index.t7[file])
        let expected = try FormatGoldenIndex.expected(entry.expected)
        let modules = try loadTorch7Sequential(path: TestPaths.golden("formats/\(file)").path)
        try #require(modules.count == entry.modules.count)
        var convolutions = 0
        for (i, (module, fields)) in zip(modules, entry.modules).enumerated() {
            func n(_ key: String) -> Int? { if case .number(let v)? = fields[key] { Int(v) } else { nil } }
            switch module {
            case .convolution(let c):
                #expect(fields["class"] == .string("nn.SpatialConvolution"))
                #expect([c.inputPlanes, c.outputPlanes, c.kernelWidth, c.kernelHeight, c.strideWidth, c.strideHeight, c.padWidth, c.padHeight]
                    == ["nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH"].map { n($0) })
                let weight = try #require(expected["\(i).weight"]), bias = try #require(expected["\(i).bias"])
                #expect(c.weight.shape == weight.shape && bits(c.weight.values) == bits(weight.values), "module \(i) weight")
                #expect(c.bias?.shape == bias.shape && bits(c.bias?.values ?? []) == bits(bias.values), "module \(i) bias")
                convolutions += 1
            case .reflectionPadding(let l, let r, let t, let b):
                #expect(fields["class"] == .string("nn.SpatialReflectionPadding"))
                #expect([l, r, t, b] == ["pad_l", "pad_r", "pad_t", "pad_b"].map { n($0) })
            case .relu:
                #expect(fields["class"] == .string("nn.ReLU"))
            case .maxPooling(let p):
                #expect(fields["class"] == .string("nn.SpatialMaxPooling"))
                #expect([p.kernelWidth, p.kernelHeight, p.strideWidth, p.strideHeight, p.padWidth, p.padHeight]
                    == ["kW", "kH", "dW", "dH", "padW", "padH"].map { n($0) })
                #expect(fields["ceil_mode"] == .bool(p.ceilMode) && p.ceilMode)
            case .nearestUpsampling(let scale):
                #expect(fields["class"] == .string("nn.SpatialUpSamplingNearest"))
                #expect(scale == n("scale_factor"))
            }
        }
        #expect(convolutions * 2 == expected.count)
    }

    /// AdaIN-style's vgg_normalised.t7 layout: 53 modules, the 1x1 colour convolution and VGG-19's 16,
    /// four ceil-mode poolings.
    @Test func vggLayoutIsAdaINStyles() throws {
        let modules = try loadTorch7Sequential(path: TestPaths.golden("formats/vgg_normalised.t7").path)
        #expect(modules.count == 53)
        #expect(modules.filter { if case .convolution = $0 { true } else { false } }.count == 17)
        #expect(modules.filter { if case .maxPooling(let p) = $0 { p.ceilMode } else { false } }.count == 4)
        guard case .convolution(let first) = modules[0] else { Issue.record("module 0 is \(modules[0])"); return }
        #expect(first.kernelWidth == 1 && first.inputPlanes == 3 && first.outputPlanes == 3)
    }

    @Test func builtSequentialReads() throws {
        var b = T7Builder()
        b.sequential([T7Builder.conv(planes: 2, weights: [1, -2, 0.5, 4]), T7Builder.relu])
        let modules = try read(b.bytes).get()
        #expect(modules == [
            .convolution(Torch7Convolution(
                inputPlanes: 2, outputPlanes: 2, kernelWidth: 1, kernelHeight: 1, strideWidth: 1, strideHeight: 1, padWidth: 0, padHeight: 0,
                weight: StoredTensor(shape: [2, 2, 1, 1], values: [1, -2, 0.5, 4]), bias: StoredTensor(shape: [2], values: [0, 1]))),
            .relu,
        ])
    }

    /// Files of older nn versions, read as nn's backCompatibility does: `padding` for padW and padH,
    /// a 2-D weight viewed as 4-D, no bias, a max pooling without padW, padH and ceil_mode.
    @Test func olderModuleFieldsRead() throws {
        var b = T7Builder()
        b.sequential([{ b in
            b.module("nn.SpatialConvolution", [
                ("nInputPlane", { $0.number(1) }), ("nOutputPlane", { $0.number(2) }), ("kW", { $0.number(2) }), ("kH", { $0.number(1) }),
                ("dW", { $0.number(1) }), ("dH", { $0.number(2) }), ("padding", { $0.number(1) }),
                ("weight", { $0.floatTensor(size: [2, 2], stride: [2, 1], values: [1, 2, 3, 4]) }),
            ])
        }, { b in
            b.module("nn.SpatialMaxPooling", [("kW", { $0.number(3) }), ("kH", { $0.number(3) }), ("dW", { $0.number(2) }), ("dH", { $0.number(2) })])
        }])
        #expect(try read(b.bytes).get() == [
            .convolution(Torch7Convolution(
                inputPlanes: 1, outputPlanes: 2, kernelWidth: 2, kernelHeight: 1, strideWidth: 1, strideHeight: 2, padWidth: 1, padHeight: 1,
                weight: StoredTensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4]), bias: nil)),
            .maxPooling(Torch7MaxPooling(kernelWidth: 3, kernelHeight: 3, strideWidth: 2, strideHeight: 2, padWidth: 0, padHeight: 0, ceilMode: false)),
        ])
    }

    @Test func unknownModuleIsRefusedByName() {
        var b = T7Builder()
        b.sequential([T7Builder.conv(planes: 1, weights: [1]), { b in
            b.module("nn.SpatialBatchNormalization", [("eps", { $0.number(1e-5) })])
        }])
        let e = error(b.bytes)
        #expect(e == .unsupportedModule(path: "test.t7", index: 1, className: "nn.SpatialBatchNormalization"))
        #expect(e?.description.contains("module 1 is 'nn.SpatialBatchNormalization'") == true)
    }

    @Test func everyCutIsTruncatedOrMalformed() throws {
        let data = try Data(contentsOf: TestPaths.golden("formats/vgg_normalised.t7"))
        var truncated = 0
        // Every 61st byte (a prime, so that cuts fall at every offset within the 4- and 8-byte fields).
        for cut in stride(from: 0, to: data.count, by: 61) {
            let path = "cut@\(cut)"
            switch read(Array(data.prefix(cut)), path: path) {
            case .success: Issue.record("cut at \(cut) of \(data.count) read")
            case .failure(let e):
                #expect(["truncated", "malformed"].contains(e.caseName) && e.description.contains(path), "\(e)")
                if e.caseName == "truncated" { truncated += 1 }
            }
        }
        #expect(truncated > data.count / 61 / 2)
    }

    @Test func truncatedStorageIsNamed() {
        var b = T7Builder()
        b.sequential([T7Builder.conv(planes: 2, weights: [1, 2, 3, 4])])
        // The bias storage's 8 bytes of data are the file's last: cut 3 of them.
        let cut = Array(b.bytes.dropLast(3))
        #expect(error(cut) == .truncated(path: "test.t7", detail: "the torch.FloatStorage at byte \(b.bytes.count - 16) has 2 elements of 4 bytes; 5 bytes are left"))
    }

    @Test func hugeStorageLengthIsRefusedBeforeAllocating() {
        var b = T7Builder()
        b.objectHeader("torch.FloatStorage")
        let at = b.bytes.count
        b.long(1 << 40)
        b.bytes += [0, 0, 0, 0]
        #expect(error(b.bytes) == .truncated(path: "test.t7", detail: "the torch.FloatStorage at byte \(at) has 1099511627776 elements of 4 bytes; 4 bytes are left"))
    }

    @Test func hugeTableAndStringLengthsAreRefused() {
        var table = T7Builder()
        table.tableHeader(count: Int32.max)
        #expect(error(table.bytes) == .truncated(path: "test.t7", detail: "the table at byte 8 has 2147483647 entries, which need at least 17179869176 bytes; 0 are left"))
        var string = T7Builder()
        string.int(2)
        string.int(Int32.max)
        #expect(error(string.bytes) == .truncated(path: "test.t7", detail: "a string at byte 4 has 2147483647 bytes; 0 are left"))
        var dims = T7Builder()
        dims.objectHeader("torch.FloatTensor")
        let at = dims.bytes.count
        dims.int(1 << 30)
        #expect(error(dims.bytes) == .truncated(path: "test.t7", detail: "the torch.FloatTensor at byte \(at) has 1073741824 dimensions, which need 17179869184 bytes; 0 are left"))
    }

    @Test func referenceLoopIsRefused() {
        var b = T7Builder()
        b.tableHeader(count: 1)  // object 1
        b.string("self")
        let at = b.bytes.count
        b.int(3)
        b.int(1)                 // refers to object 1, which is being read
        #expect(error(b.bytes) == .malformed(path: "test.t7", detail: "object 1 at byte \(at) refers to an object that is still being read (a reference loop)"))
    }

    @Test func sharedObjectIsOneValue() throws {
        // Objects are numbered in the order they are first written: 1 the Sequential, 2 its field
        // table, 3 the modules table, 4 the ReLU (5 its fields); module 2 refers to object 4.
        var b = T7Builder()
        b.module("nn.Sequential", [("modules", { b in
            b.tableHeader(count: 2)
            b.number(1)
            T7Builder.relu(&b)
            b.number(2)
            b.int(4)
            b.int(4)
        })])
        #expect(try read(b.bytes).get() == [.relu, .relu])
    }

    @Test func storageShorterThanSizeTimesStrideIsRefused() {
        var b = T7Builder()
        b.objectHeader("torch.FloatTensor")
        let at = b.bytes.count
        b.int(2)
        for v: Int64 in [2, 3, 3, 1] { b.long(v) }
        b.long(1)
        b.floatStorage([1, 2, 3, 4, 5])
        #expect(error(b.bytes) == .malformed(path: "test.t7", detail: "the torch.FloatTensor at byte \(at) with offset 0, size [2, 3] and stride [3, 1] reaches element 5 of a storage of 5"))
    }

    @Test func wrongTypeTagIsRefused() {
        var b = T7Builder()
        b.sequential([T7Builder.conv(planes: 1, weights: [1])])
        var tampered = b.bytes
        tampered[0] = 9  // the Sequential's tag
        #expect(error(tampered) == .malformed(path: "test.t7", detail: "unknown type tag 9 at byte 0 (0 to 8 are Torch7's)"))
        var function = T7Builder()
        function.int(6)
        function.int(1)
        #expect(error(function.bytes)?.caseName == "unsupportedFeature")
    }

    @Test func cudaTensorAndWrongFieldsAreRefused() {
        var cuda = T7Builder()
        cuda.floatTensor(size: [1], stride: [1], values: [1], className: "torch.CudaTensor")
        #expect(error(cuda.bytes)?.description.contains("'torch.CudaTensor'") == true)

        var b = T7Builder()
        b.sequential([{ b in b.module("nn.SpatialReflectionPadding", [("pad_l", { $0.number(1.5) }), ("pad_r", { $0.number(1) }),
                                                                        ("pad_t", { $0.number(1) }), ("pad_b", { $0.number(1) })]) }])
        #expect(error(b.bytes) == .malformed(path: "test.t7", detail: "module 0 (nn.SpatialReflectionPadding) field 'pad_l' is the number 1.5; a whole number from 0 to 1048576 is needed"))

        var shape = T7Builder()
        shape.sequential([{ b in
            b.module("nn.SpatialConvolution", [
                ("nInputPlane", { $0.number(2) }), ("nOutputPlane", { $0.number(2) }), ("kW", { $0.number(1) }), ("kH", { $0.number(1) }),
                ("dW", { $0.number(1) }), ("dH", { $0.number(1) }),
                ("weight", { $0.floatTensor(size: [3], stride: [1], values: [1, 2, 3]) }),
            ])
        }])
        #expect(error(shape.bytes) == .malformed(path: "test.t7", detail: "module 0 (nn.SpatialConvolution) field 'weight' has size [3]; [2, 2, 1, 1] or [2, 2] expected from its planes and kernel size"))
    }

    @Test func notASequentialAndTrailingBytesAreRefused() {
        var relu = T7Builder()
        T7Builder.relu(&relu)
        #expect(error(relu.bytes) == .malformed(path: "test.t7", detail: "it holds a 'nn.ReLU', not an nn.Sequential"))
        var b = T7Builder()
        b.sequential([T7Builder.relu])
        #expect(error(b.bytes + [0]) == .malformed(path: "test.t7", detail: "1 bytes follow the saved object"))
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: CheckpointError.unreadable(path: "/nonexistent/decoder.t7", reason: "no such file")) {
            try loadTorch7Sequential(path: "/nonexistent/decoder.t7")
        }
    }
}
