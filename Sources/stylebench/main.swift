// stylebench: seconds per AdaIN stylization (512x512 content and style by default) with stylectl's
// engine, its automatic choice of convolutions (Winograd where it wins, upsamplings fused into the
// next convolution), Winograd on every layer it takes without fusion, and oneDNN's direct
// convolutions alone, runs interleaved in one process, with their ratios; the peak memory and the
// arithmetic rate, a per-layer profile of each (medians over the runs), then the same network in PyTorch
// (Scripts/bench_pytorch.py with Debian's /usr/bin/python3) and its peers, ONNX Runtime and OpenVINO
// (Scripts/bench_peers.py in the venv of Scripts/setup-bench, PeerBenchmark.swift), in one table with
// the CPU. Before them, the cold figure: whole `stylectl stylize` processes at the size minus at
// 64x64, --cold-runs of each (ColdStartBenchmark.swift).
//
// With --tiled SIZE or WxH [--tile N] [--keep-features] [--encode-again] [--square N] [--mask WxH] [--losses]: one tiled
// stylization of a SIZE x SIZE (W x H) content, written as a PNG, its seconds and peak RSS against the whole 512x512 time
// scaled by pixels (TiledBenchmark.swift); pass 1's features kept in memory, in a temporary file (the default) or encoded
// again in pass 2; with --square N, the seed's square sizing (N x N, resized back to W x H); with --mask, two styles by
// a two-region mask file of W x H; with --losses, the losses measured over the tiles (a sweep's metrics).
//
// With --train: seconds per decoder training iteration (batch 8, 256x256 by default) against
// PyTorch's (Scripts/bench_training.py), see TrainingBench.swift. With --sweep N: an N-point alpha
// sweep through `stylectl sweep`'s runner against N separate stylizations (SweepBenchmark.swift).
//
// Usage: stylebench [--size N] [--runs N] [--vgg FILE --decoder FILE] [--no-pytorch] [--no-peers] [--cold-runs N]
//        stylebench --train [--batch N] [--size N] [--runs N] [--no-pytorch]
//        stylebench --sweep N [--size N]
//        stylebench --video N [--size N] [--no-pytorch]   (N frames at 640x360 and 1280x720; VideoBenchmark.swift)
//        stylebench --tiled SIZE|WxH [--tile N] [--keep-features] [--encode-again] [--square N] [--mask WxH] [--losses]
//                   [--vgg FILE --decoder FILE]

import Checkpoints
import Foundation
import StyleTransfer
import TensorCore

struct Options {
    var size = 512
    var runs = 5
    var vgg: String?
    var decoder: String?
    var pytorch = true
    var peers = true
    var coldRuns = 3
    var sweep: Int?
    var video: Int?
    var train = false
    var batch = 8
    var tiled: (width: Int, height: Int)?
    var tile = 512
    var keepFeatures = false
    var square: Int?
    var encodeAgain = false
    var mask: (width: Int, height: Int)?
    var losses = false
    var writeImage: (width: Int, height: Int, path: String)?
    var writeMask: (width: Int, height: Int, path: String)?
    var measure: [String]?

    init(_ arguments: [String]) {
        var rest = arguments[...]
        var (sizeGiven, runsGiven) = (false, false)
        func value(_ flag: String) -> String {
            guard let v = rest.popFirst() else { fail("\(flag) needs a value") }
            return v
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--size": size = Int(value(flag)) ?? 0; sizeGiven = true
            case "--runs": runs = Int(value(flag)) ?? 0; runsGiven = true
            case "--train": train = true
            case "--batch": batch = Int(value(flag)) ?? 0
            case "--vgg": vgg = value(flag)
            case "--decoder": decoder = value(flag)
            case "--no-pytorch": pytorch = false
            case "--no-peers": peers = false
            case "--cold-runs": coldRuns = Int(value(flag)) ?? -1
            case "--sweep": sweep = Int(value(flag)) ?? 0
            case "--video": video = Int(value(flag)) ?? 0
            case "--tiled": tiled = dimensions(value(flag))
            case "--tile": tile = Int(value(flag)) ?? 0
            case "--keep-features": keepFeatures = true
            case "--square": square = Int(value(flag)) ?? 0
            case "--encode-again": encodeAgain = true
            case "--mask": mask = dimensions(value(flag))
            case "--losses": losses = true
            case "--write-image":
                let size = dimensions(value(flag))
                writeImage = (size.width, size.height, value(flag))
            case "--write-mask":
                let size = dimensions(value(flag))
                writeMask = (size.width, size.height, value(flag))
            case "--measure": measure = Array(rest); rest = []
            default: fail("unknown argument \(flag)\nusage: stylebench [--size N] [--runs N] [--vgg FILE --decoder FILE] [--no-pytorch] [--no-peers] [--cold-runs N]\n       stylebench --train [--batch N] [--size N] [--runs N] [--no-pytorch]\n       stylebench --sweep N [--size N]\n       stylebench --video N [--size N] [--no-pytorch]\n       stylebench --tiled SIZE|WxH [--tile N] [--keep-features] [--encode-again] [--square N] [--mask WxH] [--losses]")
            }
        }
        if train {
            if !sizeGiven { size = 256 }
            if !runsGiven { runs = 2 }
            guard batch >= 1 else { fail("--batch must be at least 1") }
        }
        guard size >= VGGEncoder.minimumImageSide, runs >= 1 else { fail("--size must be at least \(VGGEncoder.minimumImageSide) and --runs at least 1") }
        guard (vgg == nil) == (decoder == nil) else { fail("give both --vgg and --decoder, or neither") }
        if coldRuns < 0 { fail("--cold-runs needs a number of runs (0 for none)") }
        if let sweep, sweep < 1 { fail("--sweep needs a number of alphas, at least 1") }
        if let video, video < 2 { fail("--video needs a number of frames, at least 2") }
        if let tiled, min(tiled.width, tiled.height) < VGGEncoder.minimumImageSide || max(tiled.width, tiled.height) > 16384 {
            fail("--tiled needs sides from \(VGGEncoder.minimumImageSide) to 16384")
        }
        for (flag, size) in [("--write-image", writeImage.map { ($0.width, $0.height) }), ("--write-mask", writeMask.map { ($0.width, $0.height) }), ("--mask", mask)] {
            if let size, min(size.0, size.1) < 1 || max(size.0, size.1) > 16384 { fail("\(flag) needs sides from 1 to 16384") }
        }
        do { _ = try Tiling(tile: tile) } catch { fail("\(error)") }
        if let square, square < VGGEncoder.minimumImageSide || square > 16384 { fail("--square needs a side from \(VGGEncoder.minimumImageSide) to 16384") }
    }
}

/// `N` (N x N) or `WxH`; (0, 0) for anything else (refused by the checks).
func dimensions(_ text: String) -> (width: Int, height: Int) {
    let parts = text.split(separator: "x")
    if parts.count == 1, let side = Int(parts[0]) { return (side, side) }
    if parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) { return (width, height) }
    return (0, 0)
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stylebench: \(message)\n".utf8))
    exit(2)
}


/// Seeded weights for pytorch-AdaIN's convolutions, scaled as He initialisation (uniform with
/// the same variance) so that activations stay of order one, as Scripts/bench_pytorch.py does.
func seededStateDict(_ convolutions: [(module: Int, out: Int, in: Int, kernel: Int)], random: inout SeededRandom) -> [String: StoredTensor] {
    var state: [String: StoredTensor] = [:]
    for c in convolutions {
        let fanIn = c.in * c.kernel * c.kernel
        let bound = (6 / Float(fanIn)).squareRoot()
        state["\(c.module).weight"] = StoredTensor(shape: [c.out, c.in, c.kernel, c.kernel],
                                                   values: (0 ..< c.out * fanIn).map { _ in (2 * random.unit() - 1) * bound })
        state["\(c.module).bias"] = StoredTensor(shape: [c.out], values: (0 ..< c.out).map { _ in 0.2 * random.unit() - 0.1 })
    }
    return state
}

/// The seeded encoder (vgg_normalised up to relu4_1) and decoder weights, seed 0.
func seededStateDicts() -> (vgg: [String: StoredTensor], decoder: [String: StoredTensor]) {
    var random = SeededRandom(seed: 0)
    let vgg = seededStateDict([(0, 3, 3, 1), (2, 64, 3, 3), (5, 64, 64, 3), (9, 128, 64, 3), (12, 128, 128, 3), (16, 256, 128, 3),
                               (19, 256, 256, 3), (22, 256, 256, 3), (25, 256, 256, 3), (29, 512, 256, 3)], random: &random)
    let decoder = seededStateDict([(1, 256, 512, 3), (5, 256, 256, 3), (8, 256, 256, 3), (11, 256, 256, 3), (14, 128, 256, 3),
                                   (18, 128, 128, 3), (21, 64, 128, 3), (25, 64, 64, 3), (28, 3, 64, 3)], random: &random)
    return (vgg, decoder)
}

func loadNetworks(_ options: Options) -> (VGGEncoder, Decoder, String) {
    do {
        if let vgg = options.vgg, let decoder = options.decoder {
            return (try VGGEncoder(weights: loadStateDict(path: vgg)), try Decoder(weights: loadStateDict(path: decoder)), "\(vgg), \(decoder)")
        }
        let (vgg, decoder) = seededStateDicts()
        return (try VGGEncoder(weights: vgg), try Decoder(weights: decoder), "seeded random")
    } catch {
        fail("cannot load the weights: \(error)")
    }
}

func padded(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024  // Linux reports KiB
}

func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }

/// The repository's Scripts folder: beside this source file's package, else the current folder's.
func scriptsFolder() -> String {
    let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts").path
    return FileManager.default.fileExists(atPath: fromSource) ? fromSource : "Scripts"
}

/// Runs Scripts/bench_pytorch.py (or `script` with `arguments`) with Debian's /usr/bin/python3;
/// returns its JSON line.
func runPyTorch(_ options: Options, script: String = "bench_pytorch.py", arguments given: [String]? = nil) -> [String: Any]? {
    var arguments = given ?? ["--size", "\(options.size)", "--runs", "\(options.runs)"]
    arguments += ["--threads", "\(ProcessInfo.processInfo.activeProcessorCount)"]
    if given == nil, let vgg = options.vgg, let decoder = options.decoder, vgg.hasSuffix(".pth"), decoder.hasSuffix(".pth") {
        arguments += ["--vgg", vgg, "--decoder", decoder]
    }
    return runPythonScript("/usr/bin/python3", script, arguments: arguments, label: "PyTorch")
}

/// Runs Scripts/`script` with `python` and `arguments`, OPENBLAS_CORETYPE unset (so that the
/// Python side picks its best kernels); returns the JSON object of its last line, or nil after
/// printing why not (`label` names the engine).
func runPythonScript(_ python: String, _ script: String, arguments: [String], label: String) -> [String: Any]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [scriptsFolder() + "/" + script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_CORETYPE"] = nil
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    do { try process.run() } catch {
        print("\(label): cannot run \(python): \(error)")
        return nil
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        print("\(label): Scripts/\(script) failed (status \(process.terminationStatus))")
        return nil
    }
    return json
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
do { try EngineEnvironment.checkProcess() } catch { fail("\(error)") }
if let command = options.measure {
    measureCommand(command)
    exit(0)
}
if let image = options.writeImage {
    writeBenchImage(width: image.width, height: image.height, path: image.path)
    exit(0)
}
if let mask = options.writeMask {
    writeBenchMask(width: mask.width, height: mask.height, path: mask.path)
    exit(0)
}
if let size = options.tiled {
    runTiledBenchmark(options, width: size.width, height: size.height)
    exit(0)
}
if let points = options.sweep {
    runSweepBenchmark(options, points: points)
    exit(0)
}
if let frames = options.video {
    await runVideoBenchmark(options, frames: frames)
    exit(0)
}
let (encoder, decoder, weightsName) = loadNetworks(options)
if options.train {
    benchmarkTraining(options, encoder: encoder, decoder: decoder, weightsName: weightsName)
    exit(0)
}
var random = SeededRandom(seed: 1)
let side = options.size
let content = Tensor(shape: [1, 3, side, side], values: (0 ..< 3 * side * side).map { _ in random.unit() })
let style = Tensor(shape: [1, 3, side, side], values: (0 ..< 3 * side * side).map { _ in random.unit() })

/// One stylization as stylectl does it (alpha 1), each phase traced when asked.
func stylize(trace: ((String, StepTiming) -> Void)? = nil) -> Tensor {
    let c = encoder.encode(content, trace: trace.map { t in { t("content", $0) } })
    let s = encoder.encode(style, trace: trace.map { t in { t("style", $0) } })
    let start = now()
    let t = adaptiveInstanceNormalization(content: c, style: s)
    trace?("adain", StepTiming(name: "AdaIN", seconds: now() - start, flops: 0, implementation: "swift"))
    return decoder.decode(t, trace: trace.map { t in { t("decoder", $0) } })
}

print("stylectl: \(side)x\(side) content and style: 2 encoder passes to relu4_1, AdaIN, 1 decoder pass")
print("  engine: \(computeEngineDescription); \(blasDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores; weights: \(weightsName)")
print("  convolutions: automatic (Winograd F(4x4,3x3) where it wins, upsamplings computed with the next convolution), "
      + "winograd (STYLECTL_CONVOLUTION=winograd: every 3x3 layer it can take, none fused) and direct (STYLECTL_CONVOLUTION=direct), runs interleaved")
// Warm-up of all: primitives, weight reorders and transforms, buffers.
let algorithms: [ConvolutionAlgorithm] = [.automatic, .winograd, .direct]
for algorithm in algorithms {
    ConvolutionAlgorithm.process = algorithm
    _ = stylize()
}
// Every run traced: the per-layer figures are medians over the runs, as the totals are.
var runs: [ConvolutionAlgorithm: [Double]] = [:]
var profiles: [ConvolutionAlgorithm: [[(phase: String, step: StepTiming)]]] = [:]
for _ in 0 ..< options.runs {
    for algorithm in algorithms {
        ConvolutionAlgorithm.process = algorithm
        var profile: [(phase: String, step: StepTiming)] = []
        let start = now()
        _ = stylize { profile.append(($0, $1)) }
        runs[algorithm, default: []].append(now() - start)
        profiles[algorithm, default: []].append(profile)
    }
}
ConvolutionAlgorithm.process = .automatic
func medianOf(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let median = medianOf(runs[.automatic]!)
let directMedian = medianOf(runs[.direct]!)
/// The median over the runs of step `index`'s seconds under `algorithm`.
@MainActor func stepMedian(_ algorithm: ConvolutionAlgorithm, _ index: Int) -> Double { medianOf(profiles[algorithm]!.map { $0[index].step.seconds }) }

let profile = profiles[.automatic]![0]
// pytorch-AdaIN's convolutions, with the VGG's 1x1 convolution (folded away here) counted.
let gflop = (profile.map(\.step.flops).reduce(0, +) + 2 * 2 * 9 * Double(side * side)) / 1e9
let peak = peakResidentBytes()

for algorithm in algorithms {
    let seconds = runs[algorithm]!
    print(padded("  \(algorithm.rawValue) runs (s): ", 26) + seconds.map { String(format: "%.3f", $0) }.joined(separator: " ")
          + String(format: "; median %.3f s, %.1f GFLOP/s", medianOf(seconds), gflop / medianOf(seconds)))
}
print(String(format: "  automatic is %.2fx as fast as direct, %.2fx as fast as winograd (medians of interleaved runs); %.1f GFLOP; peak RSS %@ (all paths in this process)",
             directMedian / median, medianOf(runs[.winograd]!) / median, gflop, megabytes(peak)))
print("\nper layer (ms, medians of the \(options.runs) interleaved runs of each; GFLOP/s for convolutions, at the direct-equivalent count):")
print("  " + padded("phase", 8) + padded("layer", 40) + padded("   direct", 10) + padded("  winograd", 10) + padded(" automatic", 10)
      + "  ratio  automatic's implementation")
for (index, (phase, step)) in profile.enumerated() {
    let (direct, winograd, automatic) = (stepMedian(.direct, index), stepMedian(.winograd, index), stepMedian(.automatic, index))
    let rate = step.flops > 0 ? String(format: "%6.1f GFLOP/s  ", step.flops / automatic / 1e9) + step.implementation : ""
    print("  " + padded(phase, 8) + padded(step.name, 40) + String(format: "%9.2f %9.2f %9.2f  %5.2f  ", direct * 1e3, winograd * 1e3, automatic * 1e3,
                                                                 direct / automatic) + rate)
}
for phase in ["content", "style", "adain", "decoder"] {
    func total(_ algorithm: ConvolutionAlgorithm) -> Double {
        profile.indices.filter { profile[$0].phase == phase }.map { stepMedian(algorithm, $0) }.reduce(0, +)
    }
    print("  " + padded(phase, 8) + String(format: "total %.1f ms direct, %.1f ms winograd, %.1f ms automatic",
                                           total(.direct) * 1e3, total(.winograd) * 1e3, total(.automatic) * 1e3))
}

if options.coldRuns > 0 {
    print("\ncold start (the release stylectl beside this stylebench, seeded weights as safetensors, \(options.coldRuns) runs of each, interleaved):")
    _ = runColdStart(options, side: side, runs: options.coldRuns, warm: median)
}

var rows = [EngineRow(engine: "stylectl", detail: "automatic (Winograd), f32", seconds: median, peakBytes: peak),
            EngineRow(engine: "stylectl direct", detail: "STYLECTL_CONVOLUTION=direct, f32", seconds: directMedian, peakBytes: peak)]
if options.pytorch {
    print("\nPyTorch (Scripts/bench_pytorch.py, /usr/bin/python3, OPENBLAS_CORETYPE unset):")
    if let result = runPyTorch(options), let torchSeconds = result["seconds"] as? Double, let torchPeak = result["peak_rss_bytes"] as? Int {
        let runs = (result["runs"] as? [Double] ?? []).map { String(format: "%.3f", $0) }.joined(separator: " ")
        print("  torch \(result["torch"] ?? "?"), \(result["threads"] ?? "?") threads; runs (s): \(runs)")
        print(String(format: "  median %.3f s per stylization; %.1f GFLOP/s; peak RSS %@", torchSeconds, gflop / torchSeconds, megabytes(torchPeak)))
        rows.append(EngineRow(engine: "PyTorch", detail: "\(result["torch"] ?? "?"), f32, \(result["threads"] ?? "?") threads",
                              seconds: torchSeconds, peakBytes: torchPeak))
    }
}
if options.peers {
    print("\npeers (Scripts/bench_peers.py: PyTorch's network and seeded weights exported to ONNX, opset 13; each engine in its own process):")
    if options.vgg != nil { print("  (with bench_pytorch.py's seeded weights, not the files given: the time does not depend on the values)") }
    if let engines = runPeers(options) { rows += peerRows(engines) }
}
printEngineTable(rows, side: side)
