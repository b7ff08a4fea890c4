// A seeded random generator whose numbers are the same for the same seed on every run and machine:
// xoshiro256** (Blackman & Vigna) seeded by SplitMix64, floats from the top 24 bits, normals by
// Marsaglia's polar method with a logarithm built from IEEE arithmetic only (libm's log may differ
// in the last bit between C libraries; ours cannot).

/// Deterministic pseudo-random numbers. The state is four words and can be saved in a checkpoint.
public struct RandomGenerator: Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)
    /// A second normal from the polar method, kept for the next call.
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a saved state.
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RandomGenerator: state has four words")
        self.state = (state[0], state[1], state[2], state[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.stateWords == rhs.stateWords && lhs.spareNormal == rhs.spareNormal }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1), a multiple of 2⁻²⁴.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Uniform integer in 0..<bound (Lemire's unbiased method).
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator: empty range")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// Standard normal (mean 0, standard deviation 1).
    public mutating func normal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = Double(next() >> 11) * 0x1p-53 * 2 - 1
            let v = Double(next() >> 11) * 0x1p-53 * 2 - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * DeterministicMath.log(s) / s).squareRoot()
                spareNormal = Float(v * factor)
                return Float(u * factor)
            }
        }
    }

    /// Normal with the given mean and standard deviation.
    public mutating func normal(mean: Float, std: Float) -> Float { mean + std * normal() }

    /// An index drawn with probability proportional to `weights` (non-negative, not all zero).
    public mutating func categorical(_ weights: [Float]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "RandomGenerator: categorical weights sum to zero")
        let target = uniform() * total
        var cumulative: Float = 0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if target < cumulative { return index }
        }
        return weights.lastIndex { $0 > 0 }!
    }

    /// A random permutation of 0..<count (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, integer(below: i + 1)) }
        }
        return order
    }
}

/// Functions computed with + − × ÷ and √ only, so results are identical on every IEEE-754 machine.
public enum DeterministicMath {
    /// Natural logarithm for x > 0: x = m · 2^e with m in [√½, √2), ln m = 2·atanh((m−1)/(m+1)) by its series.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0, "log of a non-positive number")
        var m = x.significand  // [1, 2)
        var e = Double(x.exponent)
        if m > 1.4142135623730951 {
            m /= 2
            e += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while k < 60 {
            sum += term / k
            term *= s2
            k += 2
        }
        return 2 * sum + e * 0.6931471805599453
    }
}
