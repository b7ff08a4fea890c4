// sgemm on several threads by splitting the output, each part a single-threaded OpenBLAS call.
// Why not OpenBLAS's own threads: Debian's OpenBLAS 0.3.21 reaches only ~0.71× numpy's newer OpenBLAS
// at 1024³ on 2 threads (206 vs 288 GFLOP/s, `make bench`) though it matches it on 1 thread, and its
// idle workers spin in sched_yield between calls, stealing the cores from Cohort's other parallel
// loops (~20% of a training step in perf). Split single-threaded calls scale and never idle-spin.
import Dispatch

extension BLAS {
    /// `sgemm` split over `workers` threads by output rows (or columns when there are few rows), with
    /// OpenBLAS itself single-threaded. Same arguments and result as `sgemm`. Products under ~4 MFLOP
    /// run on the calling thread.
    public static func parallelSgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int, workers: Int
    ) {
        if threadCount != 1 { threadCount = 1 }
        let splitRows = m >= n || n < 32
        let extent = splitRows ? m : n
        let parts = min(workers, extent / 16, max(1, (2 * m * n * k) / 4_000_000))
        if parts <= 1 {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Pointers are not Sendable; the parts write disjoint blocks of c.
        let (ua, ub, uc) = (UInt(bitPattern: a), UInt(bitPattern: b), UInt(bitPattern: c))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let a = UnsafePointer<Float>(bitPattern: ua)!, b = UnsafePointer<Float>(bitPattern: ub)!
            let c = UnsafeMutablePointer<Float>(bitPattern: uc)!
            // Boundaries on multiples of 16 (the AVX-512 kernel's tile).
            let start = (extent * part / parts) & ~15
            let end = part == parts - 1 ? extent : (extent * (part + 1) / parts) & ~15
            guard start < end else { return }
            if splitRows {
                sgemm(
                    transA: transA, transB: transB, m: end - start, n: n, k: k, alpha: alpha,
                    a: transA ? a + start : a + start * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + start * ldc, ldc: ldc)
            } else {
                sgemm(
                    transA: transA, transB: transB, m: m, n: end - start, k: k, alpha: alpha,
                    a: a, lda: lda, b: transB ? b + start * ldb : b + start, ldb: ldb, beta: beta, c: c + start, ldc: ldc)
            }
        }
    }
}
