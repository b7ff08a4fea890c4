// A quick numeric check of OpenBLAS's sgemm against a naive product in Double: some OpenBLAS builds
// compute wrong results on some CPUs, and a wrong GEMM would silently poison every model.

/// Compares `BLAS.sgemm` with a naive Double product on small shapes covering every transpose.
public enum SgemmSelfTest {
    /// The outcome: worst error relative to the sum of |a·b| terms, and where it happened.
    public struct Outcome: Sendable {
        public var passed: Bool
        public var worstError: Double
        public var worstCase: String
    }

    /// Relative tolerance: Float32 accumulation over k ≤ 300 terms stays far below this.
    public static let tolerance = 1e-4

    public static func run() -> Outcome {
        var outcome = Outcome(passed: true, worstError: 0, worstCase: "")
        let shapes = [(37, 29, 41), (128, 96, 200)]
        for (m, n, k) in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    let error = relativeError(m: m, n: n, k: k, transA: transA, transB: transB)
                    if error > outcome.worstError || error.isNaN {
                        outcome.worstError = error
                        outcome.worstCase = "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB)"
                    }
                    if !(error <= tolerance) { outcome.passed = false }
                }
            }
        }
        return outcome
    }

    static func relativeError(m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> Double {
        var state: UInt32 = 12345 &+ UInt32(m * 7 + n * 3 + k)
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int(state >> 8) % 2001 - 1000) / 1000
        }
        let a = (0..<(m * k)).map { _ in next() }
        let b = (0..<(k * n)).map { _ in next() }
        var c = [Float](repeating: 0.5, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k,
                        a: pa.baseAddress!, lda: transA ? m : k,
                        b: pb.baseAddress!, ldb: transB ? k : n,
                        c: pc.baseAddress!, ldc: n)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                var magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a[p * m + i] : a[i * k + p])
                    let y = Double(transB ? b[j * k + p] : b[p * n + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let error = abs(Double(c[i * n + j]) - sum) / max(magnitude, 1e-6)
                if error > worst || error.isNaN { worst = error }
            }
        }
        return worst
    }
}
