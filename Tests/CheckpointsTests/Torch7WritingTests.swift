// writeTorch7Sequential: read back by our reader and by PyPI's torchfile bit for bit; weights
// whose shape does not fit their module are refused before anything is written.

@testable import Checkpoints
import Foundation
import Testing
import TestSupport

@Suite struct Torch7WritingTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("torch7-writing-\(UUID().uuidString)")

    /// Every kind of module the reader takes: a padded 3x3 convolution with a ReLU, a ceil-mode
    /// max-pooling, an upsampling, a strided 1x1 convolution with zero padding of its own, values
    /// that are not round in binary.
    func modules() -> [Torch7Module] {
        func convolution(_ input: Int, _ output: Int, _ kernel: Int, stride: Int = 1, pad: Int = 0, salt: Float) -> Torch7Module {
            let count = output * input * kernel * kernel
            return .convolution(Torch7Convolution(
                inputPlanes: input, outputPlanes: output, kernelWidth: kernel, kernelHeight: kernel, strideWidth: stride, strideHeight: stride,
                padWidth: pad, padHeight: pad,
                weight: StoredTensor(shape: [output, input, kernel, kernel], values: (0 ..< count).map { Float($0) / 3 - salt }),
                bias: StoredTensor(shape: [output], values: (0 ..< output).map { -Float($0) / 7 + salt })))
        }
        return [
            .reflectionPadding(left: 1, right: 1, top: 1, bottom: 1), convolution(5, 4, 3, salt: 0.1), .relu,
            .maxPooling(Torch7MaxPooling(kernelWidth: 2, kernelHeight: 2, strideWidth: 2, strideHeight: 2, padWidth: 0, padHeight: 0, ceilMode: true)),
            .nearestUpsampling(scale: 2), convolution(4, 3, 1, stride: 2, pad: 1, salt: 2.5),
        ]
    }

    @Test func ourReaderAndTorchfileGiveTheModulesBack() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("decoder.t7").path
        let written = modules()
        try writeTorch7Sequential(written, path: path)
        #expect(try loadTorch7Sequential(path: path) == written)

        let values = temp.appendingPathComponent("values").path
        try FileManager.default.createDirectory(atPath: values, withIntermediateDirectories: true)
        let (className, read) = try TorchfileReading.read(path, valuesTo: values)
        #expect(className == "nn.Sequential")
        #expect(read.map { $0["class"] as? String } == ["nn.SpatialReflectionPadding", "nn.SpatialConvolution", "nn.ReLU", "nn.SpatialMaxPooling",
                                                        "nn.SpatialUpSamplingNearest", "nn.SpatialConvolution"])
        #expect(read[0]["pad_l"] as? Double == 1 && read[0]["pad_b"] as? Double == 1)
        #expect(read[3]["ceil_mode"] as? Bool == true && read[4]["scale_factor"] as? Double == 2)
        #expect(read[2]["threshold"] as? Double == 0 && read[2]["inplace"] as? Bool == false)
        for (index, module) in written.enumerated() {
            #expect(read[index]["train"] as? Bool == true && read[index]["_type"] as? String == "torch.FloatTensor", "module \(index)")
            guard case .convolution(let c) = module else { continue }
            let fields = ["nInputPlane": c.inputPlanes, "nOutputPlane": c.outputPlanes, "kW": c.kernelWidth, "kH": c.kernelHeight,
                          "dW": c.strideWidth, "dH": c.strideHeight, "padW": c.padWidth, "padH": c.padHeight]
            for (key, value) in fields { #expect(read[index][key] as? Double == Double(value), "module \(index) \(key)") }
            #expect((read[index]["weight"] as? [Any])?.first as? [Int] == c.weight.shape)
            #expect((read[index]["weight"] as? [Any])?.last as? String == "float32")
            #expect(try TorchfileReading.values(values, module: index, field: "weight") == c.weight.values)
            #expect(try TorchfileReading.values(values, module: index, field: "bias") == c.bias!.values)
        }
    }

    /// A weight whose shape was changed after its values, one that does not match its planes, and
    /// a convolution without a bias are refused naming the module; no file is left.
    @Test func weightsThatDoNotFitTheirModuleAreRefusedBeforeWriting() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("bad.t7").path
        guard case .convolution(let good) = modules()[1] else { Issue.record("module 1 is a convolution"); return }

        var reshaped = good
        reshaped.weight.shape = [4, 5, 3, 4]
        #expect(throws: CheckpointError.unwritable(path: path, reason: "module 1 (nn.SpatialConvolution) has a weight of shape [4, 5, 3, 4] with 180 values; its planes and kernel need [4, 5, 3, 3]")) {
            try writeTorch7Sequential([.relu, .convolution(reshaped)], path: path)
        }
        var planes = good
        planes.inputPlanes = 6
        #expect(throws: CheckpointError.unwritable(path: path, reason: "module 0 (nn.SpatialConvolution) has a weight of shape [4, 5, 3, 3] with 180 values; its planes and kernel need [4, 6, 3, 3]")) {
            try writeTorch7Sequential([.convolution(planes)], path: path)
        }
        var biasless = good
        biasless.bias = nil
        #expect(throws: CheckpointError.unwritable(path: path, reason: "module 0 (nn.SpatialConvolution) needs a bias of shape [4]")) {
            try writeTorch7Sequential([.convolution(biasless)], path: path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// A folder that does not exist: the file system's reason, nothing created.
    @Test func anUnwritablePathIsReported() throws {
        let path = temp.appendingPathComponent("missing/decoder.t7").path
        do {
            try writeTorch7Sequential(modules(), path: path)
            Issue.record("writing into a missing folder succeeded")
        } catch {
            guard case .unwritable(let reported, _) = error else { Issue.record("expected unwritable, got \(error)"); return }
            #expect(reported == path)
        }
        #expect(!FileManager.default.fileExists(atPath: temp.path))
    }
}
