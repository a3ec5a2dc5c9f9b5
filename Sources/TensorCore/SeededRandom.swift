// A small deterministic random generator for seeded weights and test data.

/// SplitMix64 (Steele, Lea & Flood 2014): the same seed gives the same numbers on every machine.
public struct SeededRandom: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 24 random bits.
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in [-1, 1), 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
