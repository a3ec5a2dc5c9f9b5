// Progress lines for a run of stylizations, and the failure that ends the command.

import Foundation

/// Prints one line per finished stylization to standard error (standard output stays clean for
/// scripts) and remembers the failures.
struct ProgressReport {
    let count: Int
    private(set) var failures: [String] = []

    init(count: Int) { self.count = count }

    mutating func record(index: Int, output: String, seconds: Double, error: (any Error)?) {
        let counter = "[\(index + 1)/\(count)]"
        if let error {
            failures.append("\(error)")
            printError("\(counter) failed: \(error)")
        } else {
            printError("\(counter) \(output) (\(String(format: "%.2f", seconds)) s)")
        }
    }

    /// Throws when anything failed: the error itself for a single stylization, a count otherwise.
    func finish() throws {
        guard !failures.isEmpty else { return }
        throw CommandFailure(count == 1 ? failures[0] : "\(failures.count) of \(count) stylizations failed")
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
