// The cold figure: what a user waits for in one `stylectl stylize` in a fresh process. The release
// `stylectl` runs whole at 512x512 and at 64x64 (content and style of that side, seeded weights
// written once as safetensors); the cold figure is the difference of the medians, the start-up and
// loading cancelling out (issue 17), printed beside the warm in-process figure.

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// What one child process cost, from wait4's rusage and the wall clock.
struct ChildCost {
    var wall: Double
    var user: Double
    var system: Double
    var minorFaults: Int
    var peakBytes: Int
}

/// Runs `executable` with `arguments` (standard output and error to /dev/null) and returns its
/// cost, or nil if it could not start or did not exit with status 0.
func measureChild(_ executable: String, _ arguments: [String], environment: [String: String]) -> ChildCost? {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    let start = now()
    guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { return nil }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
    let wall = now() - start
    // WIFEXITED and WEXITSTATUS: exit code 0 in the high byte, no signal.
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return ChildCost(wall: wall, user: seconds(usage.ru_utime), system: seconds(usage.ru_stime),
                     minorFaults: usage.ru_minflt, peakBytes: usage.ru_maxrss * 1024)
}

/// `stylebench --measure EXECUTABLE ARGUMENTS...`: runs the command and prints its cost as one
/// line, "wall user system minorFaults peakBytes", or exits with status 1 if it failed.
///
/// The cold benchmark measures each `stylectl` through this small child process rather than
/// directly: Linux starts a process's peak RSS (getrusage's ru_maxrss, which wait4 reports) at
/// its parent's peak when it is made by vfork or fork and exec, so a `stylectl` started by the
/// benchmark after its warm stylizations would report the benchmark's 400-odd MB as its own.
/// Started by this fresh process, it inherits only this process's few MB.
func measureCommand(_ command: [String]) {
    guard let executable = command.first,
          let cost = measureChild(executable, Array(command.dropFirst()), environment: ProcessInfo.processInfo.environment) else { exit(1) }
    print(cost.wall, cost.user, cost.system, cost.minorFaults, cost.peakBytes)
}

/// Runs `command` through `stylebench --measure` (``measureCommand(_:)``); nil if it failed.
func measureThroughChild(_ command: [String]) -> ChildCost? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    process.arguments = ["--measure"] + command
    let output = Pipe()
    process.standardOutput = output
    guard (try? process.run()) != nil else { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let fields = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
    guard process.terminationStatus == 0, fields.count == 5, let wall = Double(fields[0]), let user = Double(fields[1]),
          let system = Double(fields[2]), let faults = Int(fields[3]), let peak = Int(fields[4]) else { return nil }
    return ChildCost(wall: wall, user: user, system: system, minorFaults: faults, peakBytes: peak)
}

/// The release `stylectl` beside this stylebench (both built by `swift build -c release`).
func siblingStylectl() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("stylectl").path
}

/// Times `stylectl stylize` at `side` and 64 (`runs` each, interleaved) with seeded weights in a
/// temporary folder; prints each run and returns the cold figure (the difference of the medians),
/// or nil after printing why not.
func runColdStart(_ options: Options, side: Int, runs: Int, warm: Double) -> Double? {
    let stylectl = siblingStylectl()
    guard FileManager.default.isExecutableFile(atPath: stylectl) else {
        print("  cold: \(stylectl) is missing; build it with swift build -c release --product stylectl")
        return nil
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylebench-cold-\(ProcessInfo.processInfo.processIdentifier)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (vgg, decoder) = seededStateDicts()
        try writeSafeTensors(vgg, path: folder + "/vgg.safetensors")
        try writeSafeTensors(decoder, path: folder + "/decoder.safetensors")
        var random = SeededRandom(seed: 3)
        for size in [side, 64] {
            try writeImage(noiseImage(side: size, random: &random), path: folder + "/content-\(size).png")
            try writeImage(noiseImage(side: size, random: &random), path: folder + "/style-\(size).png")
        }
    } catch {
        print("  cold: cannot write the seeded weights and images to \(folder): \(error)")
        return nil
    }
    var costs: [Int: [ChildCost]] = [:]
    for _ in 0 ..< runs {
        for size in [side, 64] {
            let arguments = ["stylize", "--content", folder + "/content-\(size).png", "--style", folder + "/style-\(size).png",
                             "--content-size", "0", "--style-size", "0", "--output", folder + "/out-\(size).png",
                             "--vgg", folder + "/vgg.safetensors", "--decoder", folder + "/decoder.safetensors"]
            guard let cost = measureThroughChild([stylectl] + arguments) else {
                print("  cold: \(stylectl) stylize failed at \(size)x\(size)")
                return nil
            }
            costs[size, default: []].append(cost)
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    for size in [side, 64] {
        let c = costs[size]!
        print(String(format: "  stylectl stylize %dx%d, whole process (s): %@; median %.3f s wall, %.3f s user, %.3f s sys, %d minor faults, peak RSS %@",
                     size, size, c.map { String(format: "%.3f", $0.wall) }.joined(separator: " "), median(c.map(\.wall)),
                     median(c.map(\.user)), median(c.map(\.system)), Int(median(c.map { Double($0.minorFaults) })),
                     megabytes(Int(median(c.map { Double($0.peakBytes) })))))
    }
    let cold = median(costs[side]!.map(\.wall)) - median(costs[64]!.map(\.wall))
    print(String(format: "  cold %dx%d stylization (whole process at %d minus at 64): %.3f s; warm (in process, above): %.3f s",
                 side, side, side, cold, warm))
    return cold
}
