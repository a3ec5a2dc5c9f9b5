// Text printed to a terminal with the control characters of file names made visible.

/// `text` with every control character escaped, for printing paths (and messages holding them) to
/// a terminal: a file name may hold ESC and other control bytes that a terminal would obey
/// (moving the cursor, rewriting earlier lines, changing the title).
///
/// C0 controls (U+0000 ... U+001F), DEL (U+007F) and C1 controls (U+0080 ... U+009F) become
/// `\x1B`-style escapes (two upper-case hex digits). With `keepingNewlines`, line feeds stay as
/// they are (for messages of several lines). Everything else, including backslashes and non-ASCII
/// letters, is unchanged, so that escaping is idempotent: a message escaped where it is made and
/// again where it is printed reads the same.
public func escapingControlCharacters(_ text: String, keepingNewlines: Bool = false) -> String {
    var escaped = ""
    escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        let value = scalar.value
        if keepingNewlines && scalar == "\n" {
            escaped.unicodeScalars.append(scalar)
        } else if value < 0x20 || (0x7F ... 0x9F).contains(value) {
            let hex = String(value, radix: 16, uppercase: true)
            escaped += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        } else {
            escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}
