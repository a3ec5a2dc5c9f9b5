// Progress lines for a run of stylizations, and the failure that ends the command.

import Foundation
import StyleTransfer

/// Prints one line per finished stylization to standard error (standard output stays clean for
/// scripts), control characters of paths escaped, and remembers the failures. A single stylization's failure is not printed here: it is
/// the command's error, printed once by ``finish()``'s caller.
struct ProgressReport {
    let count: Int
    private(set) var failures: [String] = []
    private var timeLeft = TimeLeft()
    /// Where lines go: ``printError(_:)``, or a test's collector.
    let emit: (String) -> Void

    init(count: Int, emit: @escaping (String) -> Void = printError) {
        self.count = count
        self.emit = emit
    }

    mutating func record(index: Int, output: String, seconds: Double, error: (any Error)?) {
        let counter = "[\(index + 1)/\(count)]"
        if let error {
            failures.append("\(error)")
            if count > 1 { emit(escapingControlCharacters("\(counter) failed: \(error)", keepingNewlines: true)) }
        } else {
            timeLeft.record(seconds: seconds)
            emit(escapingControlCharacters("\(counter) \(output) (\(String(format: "%.2f", seconds)) s\(timeLeft.phrase(forRemaining: count - index - 1)))"))
        }
    }

    /// Throws when anything failed: the error itself for a single stylization, a count otherwise.
    func finish() throws {
        guard !failures.isEmpty else { return }
        throw CommandFailure(count == 1 ? failures[0] : "\(failures.count) of \(count) stylizations failed")
    }
}

/// Prints a line to standard error with control characters escaped (they come from file names).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((escapingControlCharacters(line, keepingNewlines: true) + "\n").utf8))
}
