// stylebench --train: seconds per decoder training iteration (DecoderTrainer.step on random
// batches, seeded weights), with the 3x3 layers by Winograd (automatic) and, interleaved, all by
// oneDNN's direct convolutions, with a profile by phase; then the same work in PyTorch
// (Scripts/bench_training.py, same shapes and weights' scale) and the ratio.

import Foundation
import StyleTransfer
import TensorCore

func benchmarkTraining(_ options: Options, encoder: VGGEncoder, decoder: Decoder, weightsName: String) {
    let (n, side) = (options.batch, options.size)
    var trainer = DecoderTrainer(encoder: TrainingNetwork(encoder), decoder: TrainingNetwork(decoder), inferenceEncoder: encoder)
    var random = SeededRandom(seed: 1)
    func batch() -> Tensor { Tensor(shape: [n, 3, side, side], values: (0 ..< n * 3 * side * side).map { _ in random.unit() }) }
    print("stylectl: decoder training, batch \(n), \(side)x\(side) content and style; \(ProcessInfo.processInfo.activeProcessorCount) cores; weights: \(weightsName)")
    // Warm-up of both algorithms: oneDNN primitives, buffers.
    let algorithms: [ConvolutionAlgorithm] = [.automatic, .direct]
    for algorithm in algorithms {
        ConvolutionAlgorithm.process = algorithm
        _ = trainer.step(content: batch(), style: batch())
    }
    // Interleaved, so that both see the same load: the 3x3 layers' forward and backward-to-input
    // passes by Winograd (automatic) or all by oneDNN's direct convolutions.
    var seconds: [ConvolutionAlgorithm: [Double]] = [:]
    var phases: [(String, Double)] = []
    for run in 0 ..< options.runs {
        for algorithm in algorithms {
            ConvolutionAlgorithm.process = algorithm
            let (content, style) = (batch(), batch())
            let start = now()
            let loss = trainer.step(content: content, style: style) { phase, s in if run == 0 && algorithm == .automatic { phases.append((phase, s)) } }
            seconds[algorithm, default: []].append(now() - start)
            print(String(format: "  iteration %d (%@): %.2f s (loss %.4f)", loss.iteration, algorithm.rawValue, seconds[algorithm]!.last!, loss.total))
        }
    }
    ConvolutionAlgorithm.process = .automatic
    let median = seconds[.automatic]!.sorted()[options.runs / 2]
    let direct = seconds[.direct]!.sorted()[options.runs / 2]
    print(String(format: "  automatic (Winograd) %.2f s, direct %.2f s per iteration (medians of interleaved runs): automatic is %.2fx as fast", median, direct, direct / median))
    // The features of the content and style batches (no gradient) by both encoder paths.
    let (content, style) = (batch(), batch())
    var start = now()
    _ = (encoder.encode(content), encoder.encodeWithIntermediates(style))
    let inference = now() - start
    start = now()
    _ = (trainer.encoder.features(content), trainer.encoder.features(style))
    print(String(format: "  content and style features: inference encoder %.2f s, training encoder %.2f s", inference, now() - start))
    print(String(format: "  median %.2f s per iteration; peak RSS %@", median, megabytes(peakResidentBytes())))
    print("  phases (first timed iteration):")
    for (phase, s) in phases { print("    " + phase.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%8.2f s", s)) }

    guard options.pytorch else { return }
    print("\nPyTorch (Scripts/bench_training.py, /usr/bin/python3, OPENBLAS_CORETYPE unset):")
    guard let result = runPyTorch(options, script: "bench_training.py", arguments: ["--batch", "\(n)", "--size", "\(side)", "--runs", "\(options.runs)"]),
          let torchSeconds = result["seconds"] as? Double else { return }
    let runs = (result["runs"] as? [Double] ?? []).map { String(format: "%.2f", $0) }.joined(separator: " ")
    print("  torch \(result["torch"] ?? "?"), \(result["threads"] ?? "?") threads; runs (s): \(runs)")
    for (phase, s) in (result["phases"] as? [String: Double] ?? [:]).sorted(by: { $0.key < $1.key }) {
        print("    " + phase.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%8.2f s", s))
    }
    print(String(format: "\nstylectl %.2f s, PyTorch %.2f s per training iteration: stylectl takes %.2fx PyTorch's time", median, torchSeconds, median / torchSeconds))
}
