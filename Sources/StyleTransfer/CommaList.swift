// The one rule for comma-separated flag values (`--style a.jpg,b.jpg`, `--alpha 0,0.5,1`), shared by every command.

import Foundation

/// Why a comma-separated flag value was refused; `description` names the flag and the item.
public enum CommaListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value holds no item at all (empty, or only commas and spaces).
    case noValue(flag: String)
    /// Item `position` (counting from 1) of `text` is empty or only spaces: `a,,b`, `,a`, `a,`, `a, ,b`.
    case emptyItem(flag: String, position: Int, text: String)

    public var description: String {
        switch self {
        case .noValue(let flag):
            "'\(flag)' needs at least one value."
        case .emptyItem(let flag, let position, let text):
            "'\(flag)': item \(position) of '\(text)' is empty; give one value between each pair of commas, with no leading or trailing comma."
        }
    }
}

/// Splits a comma-separated flag value into its items, each trimmed of surrounding spaces.
///
/// An empty item is refused, not dropped: `a,,b` is more likely a path left out than two styles,
/// and dropping it would silently change which weight or mask goes with which style. A value that
/// names an existing file is one item even if it holds a comma, so such a file can still be given.
/// Every comma-list flag of `stylize` and `sweep` goes through this, so one mistake gives one message.
///
/// - Throws: ``CommaListError/noValue(flag:)`` when there is no item at all,
///   ``CommaListError/emptyItem(flag:position:text:)`` for the first empty item.
public func commaList(_ text: String, flag: String) throws(CommaListError) -> [String] {
    if FileManager.default.fileExists(atPath: text) { return [text] }
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    if items.allSatisfy(\.isEmpty) { throw .noValue(flag: flag) }
    if let index = items.firstIndex(where: \.isEmpty) { throw .emptyItem(flag: flag, position: index + 1, text: text) }
    return items
}
