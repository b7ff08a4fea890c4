// sgemm through the wrapper against a naive product: transposes, padded strides, alpha/beta.
import Testing

@testable import BLAS

@Suite struct SgemmTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesNaiveProductWithPaddedStrides(transA: Bool, transB: Bool) {
        let (m, n, k) = (13, 9, 17)
        let lda = (transA ? m : k) + 3
        let ldb = (transB ? k : n) + 2
        let ldc = n + 5
        let a = (0..<((transA ? k : m) * lda)).map { Float(($0 * 37) % 23) / 11 - 1 }
        let b = (0..<((transB ? n : k) * ldb)).map { Float(($0 * 53) % 29) / 13 - 1 }
        var c = (0..<(m * ldc)).map { Float($0 % 7) }
        let before = c
        let (alpha, beta): (Float, Float) = (0.75, -0.5)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                        c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<ldc {
                if j >= n {
                    #expect(c[i * ldc + j] == before[i * ldc + j], "padding column \(j) of row \(i) was written")
                    continue
                }
                var sum: Double = 0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let expected = Float(Double(alpha) * sum + Double(beta) * Double(before[i * ldc + j]))
                worst = max(worst, abs(c[i * ldc + j] - expected))
            }
        }
        #expect(worst < 1e-4, "max abs error \(worst)")
    }

    @Test func selfTestPassesOnThisMachine() {
        let outcome = SgemmSelfTest.run()
        #expect(outcome.passed, "worst relative error \(outcome.worstError) at \(outcome.worstCase)")
    }

    @Test func threadCountCanBeSet() {
        // Only 1 is set here: the kernels (tested concurrently) switch OpenBLAS to 1 thread as well.
        BLAS.threadCount = 1
        #expect(BLAS.threadCount == 1)
    }

    @Test func coreNameIsReported() {
        #expect(!BLAS.coreName.isEmpty && BLAS.coreName != "unknown")
    }
}
