// Runs the goldens venv's python (made by Scripts/test: Debian's torch, PyPI's onnx, onnxruntime
// and torchfile, pinned) as a child process of the tests: the independent readers and runtimes of
// the files stylectl writes.

import Foundation

public enum GoldensPython {
    /// The venv's python, made by Scripts/test.
    public static let python = TestPaths.repoRoot.appendingPathComponent(".build-goldens/venv/bin/python")

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the venv's python with `arguments` and returns its standard output. Standard error goes
    /// to a file, so that neither pipe can fill while the other is read. `what` names the run in the
    /// error a failing exit gives (with the script's standard error); `needs`, the packages a
    /// missing venv would have held.
    public static func run(_ arguments: [String], what: String, needs: String) throws -> Data {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "\(python.path) is missing: run Scripts/test once (it makes the venv with \(needs))")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("goldens-python-\(UUID().uuidString).err")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw Failure(description: "cannot create \(errorFile.path) for the script's standard error")
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let output = Pipe()
        process.standardOutput = output
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw Failure(description: "\(what) failed (\(process.terminationStatus)): \(errorText)")
        }
        return data
    }
}
