// What each fuzz target reads, and the seed files it starts from.

import Checkpoints
import Foundation
import ImageCodec
import StyleReports
import StyleTransfer
import TensorCore

/// A reader under test and its seeds.
enum FuzzTarget: String, CaseIterable {
    /// readImage and readImageSize: the PNG and JPEG decoders.
    case image
    /// loadStateDict and loadSafeTensorsMetadata: legacy pickle .pth, zip .pth, safetensors.
    case checkpoint
    /// SweepRequest(specFile:) and its configuration: JSON and YAML sweep specs.
    case spec
    /// SweepManifest.read(folder:): a report folder's manifest.json.
    case manifest
    /// loadTorch7Sequential: Torch7 .t7 files (AdaIN-style's release).
    case torch7
    /// loadONNXGraph: ONNX model files (the seed's export).
    case onnx

    /// The pixel limit the image target reads with: the standard 178,956,970 pixels would let a
    /// mutated header allocate and clear gigabytes per input (bounded, so not a finding) and slow
    /// the run to a crawl; the limit's own check is the same code at any value.
    static let fuzzLimits = ImageLimits(maxPixels: 1 << 22)

    /// Whether the target's files are text (numbers in them are then also replaced by huge ones).
    var isText: Bool { self == .spec || self == .manifest }

    /// Reads `path` as the target's readers do; throwing is fine, a crash or hang is a finding.
    /// The result names the outcome for the counts: "ok" or the error's case.
    func read(_ path: String) -> String {
        do {
            switch self {
            case .image:
                _ = try readImageSize(path: path, limits: Self.fuzzLimits)
                _ = try readImage(path: path, limits: Self.fuzzLimits)
            case .checkpoint:
                // The metadata reader refuses every other format: its outcome is not counted.
                _ = try? loadSafeTensorsMetadata(path: path)
                _ = try loadStateDict(path: path)
            case .spec:
                let request = try SweepRequest(specFile: path)
                _ = try request.configuration(models: ModelFiles(vgg: "vgg.pth", decoder: "decoder.pth"), toolVersion: "stylefuzz")
            case .manifest:
                _ = try SweepManifest.read(folder: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            case .torch7:
                _ = try loadTorch7Sequential(path: path)
            case .onnx:
                _ = try loadONNXGraph(path: path)
            }
            return "ok"
        } catch {
            return caseName(of: error)
        }
    }

    /// The seeds: (file name the reader sees, bytes). Built here, from the golden checkpoints
    /// when `goldens` holds them, and from every file of `corpus`.
    func seeds(goldens: String, corpus: String?, scratch: String) throws -> [(name: String, bytes: [UInt8])] {
        var seeds: [(name: String, bytes: [UInt8])] = []
        switch self {
        case .image:
            var random = SeededRandom(seed: 1)
            for (width, height, name, quality) in [(16, 12, "a.png", 0), (3, 3, "b.png", 0), (1, 1, "c.png", 0), (40, 7, "d.png", 0),
                                                   (16, 16, "e.jpg", 90), (33, 17, "f.jpg", 30), (8, 8, "g.jpg", 100)] {
                let image = RGBImage(width: width, height: height, pixels: (0 ..< 3 * width * height).map { _ in random.unit() })
                let path = scratch + "/seed-" + name
                try writeImage(image, path: path, jpegQuality: quality == 0 ? 95 : quality)
                seeds.append((name, try bytes(path)))
            }
        case .checkpoint:
            let folder = goldens + "/checkpoints"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for file in files.sorted() where file.hasSuffix(".pth") || file.hasSuffix(".pkl") || file.hasSuffix(".safetensors") {
                seeds.append((file, try bytes(folder + "/" + file)))
            }
            let path = scratch + "/seed.safetensors"
            try writeSafeTensors(["conv.weight": StoredTensor(shape: [2, 1, 2, 2], values: (0 ..< 8).map { Float($0) / 7 }),
                                  "conv.bias": StoredTensor(shape: [2], values: [0.5, -1]), "scalar": StoredTensor(shape: [], values: [3])],
                                 metadata: ["format": "pt"], path: path)
            seeds.append(("seed.safetensors", try bytes(path)))
        case .spec:
            seeds.append(("spec.json", Array(#"""
                {"content": ["a.jpg", "b.png"], "style": "s1.jpg,s2.jpg", "alpha": [0, 0.5, 1], "preserve-color": "none,coral",
                 "content-size": 256, "style-size": "128", "overwrite": false, "no-metrics": true, "report": "r1", "reports-dir": "out"}
                """#.utf8)))
            seeds.append(("spec.json", Array(#"{"content": "a.jpg", "corners": ["a.png", "b.png", "c.png", "d.png"], "steps": 4, "alpha": "1"}"#.utf8)))
            seeds.append(("spec.yaml", Array("""
                content: [a.jpg, b.png]
                interpolate: [s1.jpg, s2.jpg]
                steps: 3
                alpha: [0.25, 1]
                preserve-color: luminance
                content-size: 512
                vgg: models/vgg.pth
                decoder: models/decoder.pth
                """.utf8)))
            seeds.append(("spec.yml", Array("""
                content: &c a.jpg
                style: [s1.jpg, s2.jpg]
                mask: [m1.png, m2.png]
                stretch-mask: true
                alpha: [1, 0.5]
                report: *c
                """.utf8)))
        case .manifest:
            let input = #"{"path": "/images/a.jpg", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#
            seeds.append(("manifest.json", Array("""
                {"definition": {"toolVersion": "1.0", "grid": "styles", "contents": [\(input)], "styles": [\(input), \(input)],
                  "masks": [], "stretchMask": false, "alphas": [0.5, 1], "preserveColors": ["none"], "contentSize": 512,
                  "styleSize": 256, "vgg": \(input), "decoder": \(input)},
                 "rows": [{"content": 0, "style": 0, "label": "a x a"}, {"content": 0, "style": 1, "label": "a x b"}],
                 "columns": [{"alpha": 0.5, "preserveColor": "none", "label": "alpha 0.5"}, {"alpha": 1, "preserveColor": "none", "label": "alpha 1"}],
                 "cells": [{"row": 0, "column": 0, "content": "/images/a.jpg", "styles": ["/images/a.jpg"], "alpha": 0.5,
                            "preserveColor": "none", "output": "r01-c01.png", "seconds": 1.25, "styleLoss": 2.5, "contentLoss": 10},
                           {"row": 0, "column": 1, "content": "/images/a.jpg", "styles": ["/images/a.jpg"], "alpha": 1,
                            "preserveColor": "none", "output": "r01-c02.png"},
                           {"row": 1, "column": 0, "content": "/images/a.jpg", "styles": ["/images/b.jpg"], "alpha": 0.5,
                            "preserveColor": "none", "output": "r02-c01.png", "seconds": 0.5},
                           {"row": 1, "column": 1, "content": "/images/a.jpg", "styles": ["/images/b.jpg"], "weights": [0.25, 0.75],
                            "mask": "/m.png", "alpha": 1, "preserveColor": "coral", "output": "r02-c02.png"}],
                 "metricsNote": "note"}
                """.utf8)))
        case .torch7, .onnx:
            // The golden files of Scripts/goldens_formats.py (the .t7 or .onnx ones).
            let folder = goldens + "/formats"
            let suffix = self == .torch7 ? ".t7" : ".onnx"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for file in files.sorted() where file.hasSuffix(suffix) {
                seeds.append((file, try bytes(folder + "/" + file)))
            }
        }
        if let corpus {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []
            for file in files.sorted() where !file.hasPrefix(".") {
                seeds.append((self == .manifest ? "manifest.json" : file, try bytes(corpus + "/" + file)))
            }
        }
        return seeds
    }
}

/// A file's bytes.
func bytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// An error's enum case ("corruptPNG"), or its type when it is not an enum with payloads.
func caseName(of error: any Error) -> String {
    if let label = Mirror(reflecting: error).children.first?.label { return label }
    let text = "\(error)"
    return text.count <= 40 ? text : String(describing: type(of: error))
}
