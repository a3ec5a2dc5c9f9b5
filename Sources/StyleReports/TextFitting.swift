// Text fitted to a width in pixels on contact sheets: cut with an ellipsis, or wrapped.

import Foundation

/// `text` cut to `width` pixels at font `size`, with an ellipsis when cut.
func fitted(_ text: String, width: Int, size: Double) -> String {
    if GDCanvas.textWidth(text, size: size) <= width { return text }
    var characters = Array(text)
    while !characters.isEmpty && GDCanvas.textWidth(String(characters) + "…", size: size) > width {
        characters.removeLast()
    }
    return String(characters) + "…"
}

/// `text` broken at spaces into at most `lines` lines of `width` pixels at font `size`; a word
/// longer than a line, or the rest after the last line, is cut with an ellipsis.
func wrapped(_ text: String, width: Int, size: Double, lines: Int) -> [String] {
    guard lines > 0 else { return [] }
    var result: [String] = []
    var words = text.split(separator: " ").map(String.init)[...]
    while let first = words.first, result.count < lines {
        var line = first
        words = words.dropFirst()
        while let next = words.first, GDCanvas.textWidth(line + " " + next, size: size) <= width {
            line += " " + next
            words = words.dropFirst()
        }
        if result.count == lines - 1 && !words.isEmpty { line += " " + words.joined(separator: " ") }
        result.append(fitted(line, width: width, size: size))
    }
    return result
}
