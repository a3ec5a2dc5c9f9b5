// The seeded random mutations the fuzzer applies to its seed files.

import TensorCore

/// Mutates byte strings as a dumb fuzzer does (no coverage feedback): each input is a seed with
/// one to four stacked mutations, all drawn from one ``SeededRandom`` so a run is reproducible
/// from its seed.
struct Mutator {
    var random: SeededRandom

    /// Bytes that often sit at a boundary: zero, all ones, the largest and smallest signed byte.
    static let interestingBytes: [UInt8] = [0, 0xFF, 0x7F, 0x80]
    /// 32- and 64-bit values that overflow sizes and counts, in both byte orders when written.
    static let hugeIntegers: [UInt64] = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000]
    /// Numbers written into text in place of a number: huge, negative, fractional, out of range.
    static let hugeNumbers = ["9223372036854775807", "-9223372036854775808", "18446744073709551616", "-1", "0", "1e308", "-1e308",
                              "4294967296", "99999999999999999999999", "0.0000001", "nan", "-0"]

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    mutating func below(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(random.next() % UInt64(bound))
    }

    /// `seed` with one to four mutations; `other` is a second seed for splicing.
    mutating func mutate(_ seed: [UInt8], other: [UInt8], text: Bool) -> [UInt8] {
        var bytes = seed
        for _ in 0 ... below(4) { mutateOnce(&bytes, other: other, text: text) }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8], other: [UInt8], text: Bool) {
        if bytes.isEmpty { bytes = other.isEmpty ? [0] : other; return }
        let at = below(bytes.count)
        switch below(text ? 9 : 8) {
        case 0:  // flip one bit
            bytes[at] ^= 1 << UInt8(below(8))
        case 1:  // an interesting byte
            bytes[at] = Self.interestingBytes[below(Self.interestingBytes.count)]
        case 2:  // a random byte
            bytes[at] = UInt8(truncatingIfNeeded: random.next())
        case 3:  // truncation
            bytes.removeSubrange(at...)
        case 4:  // duplicate a chunk somewhere
            let chunk = Array(bytes[at ..< min(bytes.count, at + 1 + below(64))])
            bytes.insert(contentsOf: chunk, at: below(bytes.count + 1))
        case 5:  // delete a chunk
            bytes.removeSubrange(at ..< min(bytes.count, at + 1 + below(64)))
        case 6:  // splice: this seed's start, the other's end
            let cut = below(other.count + 1)
            bytes = Array(bytes[..<at]) + other[cut...]
        case 7:  // a huge integer field, 4 or 8 bytes, either byte order
            let value = Self.hugeIntegers[below(Self.hugeIntegers.count)]
            let width = value > 0xFFFF_FFFF || below(2) == 0 ? 8 : 4
            let little = below(2) == 0
            for i in 0 ..< width where at + i < bytes.count {
                let shift = UInt64(8 * (little ? i : width - 1 - i))
                bytes[at + i] = UInt8(truncatingIfNeeded: value >> shift)
            }
        default:  // text: a number replaced by a huge or odd one
            let digits = bytes.indices.filter { (0x30 ... 0x39).contains(bytes[$0]) }
            guard !digits.isEmpty else { return }
            var start = digits[below(digits.count)], end = start
            while start > 0, (0x30 ... 0x39).contains(bytes[start - 1]) || bytes[start - 1] == 0x2E { start -= 1 }
            while end < bytes.count, (0x30 ... 0x39).contains(bytes[end]) || bytes[end] == 0x2E { end += 1 }
            bytes.replaceSubrange(start ..< end, with: Array(Self.hugeNumbers[below(Self.hugeNumbers.count)].utf8))
        }
    }
}
