// Controls that change over a clip: values at key times, linear between them.

import Foundation

/// A control's value at key times (`--alpha-at 0s:0,4s:1`, `--style-weights-at 0s:1,0;6s:0,1`),
/// linear between keys and constant before the first and after the last, so that a clip can
/// morph from one style to another over time as the AdaIN paper's interpolation does in space.
///
/// Syntax: keys separated by `,` (scalar values) or `;` (vector values, whose components are
/// separated by `,`); each key is `TIME:VALUE`, `TIME` in seconds with an optional `s` (`4s`,
/// `2.5`). Times strictly increase; at least one key.
public struct Keyframes: Sendable, Equatable {
    public var keys: [(time: Double, value: [Float])]

    public static func == (a: Keyframes, b: Keyframes) -> Bool {
        a.keys.count == b.keys.count && zip(a.keys, b.keys).allSatisfy { $0.time == $1.time && $0.value == $1.value }
    }

    /// Reads `text` given with `flag`; `components` is 1 for a scalar control, else the vector's length.
    ///
    /// - Throws: ``VideoError/badKeyframes(flag:value:reason:)`` naming the key and what is wrong.
    public init(parsing text: String, flag: String, components: Int) throws(VideoError) {
        func bad(_ reason: String) -> VideoError { .badKeyframes(flag: flag, value: text, reason: reason) }
        let separator: Character = components == 1 ? "," : ";"
        let entries = text.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard entries.count <= 10_000 else { throw bad("at most 10000 keys") }
        var keys: [(time: Double, value: [Float])] = []
        for (k, entry) in entries.enumerated() {
            guard let colon = entry.firstIndex(of: ":") else { throw bad("key \(k + 1) '\(entry)' is not TIME:VALUE (e.g. 4s:0.5)") }
            var timeText = String(entry[..<colon]).trimmingCharacters(in: .whitespaces)
            if timeText.hasSuffix("s") { timeText.removeLast() }
            guard let time = Double(timeText), time.isFinite, time >= 0 else {
                throw bad("key \(k + 1): '\(entry[..<colon])' is not a time in seconds of at least 0 (e.g. 4s)")
            }
            let parts = entry[entry.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
            let value = parts.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard value.count == parts.count, value.count == components, value.allSatisfy(\.isFinite) else {
                throw bad("key \(k + 1): '\(entry[entry.index(after: colon)...])' is not " + (components == 1 ? "a number" : "\(components) numbers separated by commas (one per style)"))
            }
            if let last = keys.last, time <= last.time { throw bad("key \(k + 1): the times must increase (\(formatSeconds(time)) after \(formatSeconds(last.time)))") }
            keys.append((time, value))
        }
        self.keys = keys
    }

    /// The value at `time`: linear between the keys around it, the first key's before it, the last's after.
    public func value(at time: Double) -> [Float] {
        guard let after = keys.firstIndex(where: { $0.time > time }) else { return keys[keys.count - 1].value }
        guard after > 0 else { return keys[0].value }
        let (a, b) = (keys[after - 1], keys[after])
        let f = Float((time - a.time) / (b.time - a.time))
        return zip(a.value, b.value).map { $0 + ($1 - $0) * f }
    }

    /// Refuses a key after the clip's end.
    public func check(duration: Double, flag: String) throws(VideoError) {
        if let late = keys.first(where: { $0.time > duration + 1e-9 }) { throw .keyframeOutsideClip(flag: flag, time: late.time, duration: duration) }
    }
}
