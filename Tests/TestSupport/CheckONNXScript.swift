// Runs Scripts/check_onnx.py (onnx and ONNX Runtime, PyPI, pinned in Scripts/test's venv): the
// independent reader and runtime of the ONNX files stylectl writes.

import Foundation

/// The script, run as a child process of the tests.
public enum CheckONNXScript {
    /// The venv's python, made by Scripts/test.
    public static let python = TestPaths.repoRoot.appendingPathComponent(".build-goldens/venv/bin/python")
    public static let script = TestPaths.repoRoot.appendingPathComponent("Scripts/check_onnx.py")

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `check_onnx.py arguments...` and returns its standard output, decoded as JSON.
    public static func run(_ arguments: [String]) throws -> Any {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "\(python.path) is missing: run Scripts/test once (it makes the venv with onnx and onnxruntime)")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        // Standard error goes to a file, so that neither pipe can fill while the other is read.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("check_onnx-\(UUID().uuidString).err")
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
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw Failure(description: "check_onnx.py \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errorText)")
        }
        return try JSONSerialization.jsonObject(with: outputData)
    }
}
