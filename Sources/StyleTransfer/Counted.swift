// Counting words in messages: "1 cell", "2 cells".

/// `n` and the noun, singular for 1: `counted(1, "cell")` is "1 cell", `counted(3, "cell")` "3 cells".
/// For messages and progress lines that count things; `plural` for nouns not made with an `s`.
public func counted(_ n: Int, _ noun: String, plural: String? = nil) -> String {
    "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
}
