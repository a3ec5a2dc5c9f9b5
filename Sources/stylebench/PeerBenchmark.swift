// The peers stylebench compares with: ONNX Runtime and OpenVINO from PyPI (Scripts/bench_peers.py
// in the venv Scripts/setup-bench makes), PyTorch, and the CPU they all ran on; one table of
// every engine's seconds, peak memory and ratio to stylectl.

import Foundation

/// The CPU as /proc/cpuinfo names it: model name, family and model numbers, and whether it has
/// AVX2 and AVX-512 (avx512f), the instruction sets the convolutions' kernels choose between.
func cpuDescription() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "CPU unknown (no /proc/cpuinfo)" }
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        if line.isEmpty { break }  // the first processor's block is enough
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 {
            fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
    let isa = ["avx2", "avx512f"].map { "\($0) \(flags.contains($0) ? "yes" : "no")" }.joined(separator: ", ")
    return "\(fields["model name"] ?? "unknown CPU") (family \(fields["cpu family"] ?? "?"), model \(fields["model"] ?? "?")); \(isa)"
}

/// The repository's folder (the parent of Scripts).
func repositoryFolder() -> String { URL(fileURLWithPath: scriptsFolder()).deletingLastPathComponent().path }

/// The venv with ONNX Runtime and OpenVINO, made by Scripts/setup-bench.
func peersPython() -> String { repositoryFolder() + "/.build-bench/venv/bin/python" }

/// Runs Scripts/bench_peers.py in the venv (``runPythonScript(_:_:arguments:label:)``); returns its
/// engines, or nil after printing why not (the venv missing names the command that makes it).
func runPeers(_ options: Options) -> [[String: Any]]? {
    let python = peersPython()
    guard FileManager.default.isExecutableFile(atPath: python) else {
        print("  peers: \(python) is missing; make it with Scripts/setup-bench (PyPI's onnxruntime and openvino, pinned)")
        return nil
    }
    guard let json = runPythonScript(python, "bench_peers.py", arguments: ["--size", "\(options.size)", "--runs", "\(options.runs)",
                                                                        "--threads", "\(ProcessInfo.processInfo.activeProcessorCount)"],
                                     label: "  peers"),
          let engines = json["engines"] as? [[String: Any]] else { return nil }
    return engines
}

/// One row of the comparison table.
struct EngineRow {
    var engine: String
    var detail: String
    var seconds: Double?
    var peakBytes: Int?
    var maxAbsDifference: Double?
    var error: String?
}

/// The rows of Scripts/bench_peers.py's engines.
func peerRows(_ engines: [[String: Any]]) -> [EngineRow] {
    engines.map { engine in
        let name = engine["engine"] as? String ?? "?"
        // OpenVINO's version reads "2026.4.1-22982-e213a147257-releases/2026/4": keep the release.
        let version = (engine["version"] as? String ?? "?").split(separator: "-").first.map(String.init) ?? "?"
        let threads = ProcessInfo.processInfo.activeProcessorCount
        return EngineRow(engine: name, detail: "\(version), \(engine["precision"] as? String ?? "?"), \(threads) threads",
                         seconds: engine["seconds"] as? Double, peakBytes: engine["peak_rss_bytes"] as? Int,
                         maxAbsDifference: engine["max_abs_diff"] as? Double, error: engine["error"] as? String)
    }
}

/// Prints the table: seconds per stylization, peak RSS, how many times stylectl's (the first row's)
/// time each engine takes, and the largest difference from PyTorch's output where measured.
func printEngineTable(_ rows: [EngineRow], side: Int) {
    print("\nengines, \(side)x\(side) content and style, seconds per stylization (median of warm runs), on \(cpuDescription()):")
    print("  " + padded("engine", 18) + padded("version, precision, threads", 34) + padded("       s", 9) + padded("   peak RSS", 12)
          + "  s / stylectl's  max |out - PyTorch's|")
    let reference = rows.first?.seconds
    for row in rows {
        guard let seconds = row.seconds else {
            print("  " + padded(row.engine, 18) + "failed: \(row.error ?? "no figures")")
            continue
        }
        let ratio = reference.map { String(format: "%14.2f", seconds / $0) } ?? padded("", 14)
        let peak = row.peakBytes.map(megabytes) ?? "?"
        let difference = row.maxAbsDifference.map { String(format: "  %.2g", $0) } ?? "  -"
        print("  " + padded(row.engine, 18) + padded(row.detail, 34) + String(format: "%8.3f", seconds)
              + padded(String(repeating: " ", count: max(0, 12 - peak.count)) + peak, 12) + "  " + ratio + difference)
    }
}
