// Runs Scripts/check_onnx.py (onnx and ONNX Runtime, PyPI, pinned in Scripts/test's venv): the
// independent reader and runtime of the ONNX files stylectl writes.

import Foundation

/// The script, run as a child process of the tests.
public enum CheckONNXScript {
    public static let script = TestPaths.repoRoot.appendingPathComponent("Scripts/check_onnx.py")

    /// Runs `check_onnx.py arguments...` and returns its standard output, decoded as JSON.
    public static func run(_ arguments: [String]) throws -> Any {
        let output = try GoldensPython.run([script.path] + arguments, what: "check_onnx.py \(arguments.joined(separator: " "))",
                                           needs: "onnx and onnxruntime")
        return try JSONSerialization.jsonObject(with: output)
    }
}
