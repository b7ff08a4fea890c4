// exp for the activation loops, written with arithmetic and bit casts only so the compiler vectorizes
// the loops that call it (a call to libm's expf keeps a loop scalar; measured at ~10% of a classifier
// step). Cephes' expf: n = round(x·log₂e), r = x − n·ln2 in two parts, a degree-6 polynomial, ×2ⁿ.
// Relative error ≤ 2e-7 over [−87, 88]; results clamp at the ends of that range.

/// eˣ in Float32, vectorizable (see file comment).
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -87.0), 88.0)
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifted = clamped * 1.442_695_04 + 12_582_912.0
    let n = shifted - 12_582_912.0
    let r = clamped - n * 0.693_359_375 + n * 2.121_944_40e-4
    var p: Float = 1.987_569_150_0e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    return y * scale
}

/// σ(x) = 1 / (1 + e⁻ˣ).
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// tanh(x) = 2σ(2x) − 1.
@inlinable @inline(__always)
public func fastTanh(_ x: Float) -> Float { 2 * fastSigmoid(2 * x) - 1 }
