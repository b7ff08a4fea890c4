// Matrix products for the kernels: OpenBLAS runs single-threaded and each product is split over the
// cores here, by output rows (or columns when there are few rows). Why: OpenBLAS's own worker threads
// spin with sched_yield between calls and fight the kernels' parallel loops for the same 2 cores —
// measured at ~20% of a training step in `perf` — while split single-threaded calls never idle-spin.
import BLAS

public enum GEMM {
    /// Row-major `C[m×n] = alpha · op(A) · op(B) + beta · C`, as `BLAS.sgemm`, on `Parallel.workers` threads.
    public static func multiply(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let workers = Parallel.workers
        useSingleThreadedBLAS()
        // Below ~4 MFLOP a split costs more in wake-ups than it saves.
        let splitRows = m >= n || n < 32
        let extent = splitRows ? m : n
        let chunks = min(workers, extent / 16, max(1, (2 * m * n * k) / 4_000_000))
        if chunks <= 1 {
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        Parallel.forEachChunk(chunks) { range in
            for chunk in range {
                // Chunk boundaries on multiples of 16 (the AVX-512 kernel's tile).
                let start = (extent * chunk / chunks) & ~15
                let end = chunk == chunks - 1 ? extent : (extent * (chunk + 1) / chunks) & ~15
                if start >= end { continue }
                if splitRows {
                    BLAS.sgemm(transA: transA, transB: transB, m: end - start, n: n, k: k, alpha: alpha,
                               a: transA ? a + start : a + start * lda, lda: lda, b: b, ldb: ldb, beta: beta,
                               c: c + start * ldc, ldc: ldc)
                } else {
                    BLAS.sgemm(transA: transA, transB: transB, m: m, n: end - start, k: k, alpha: alpha,
                               a: a, lda: lda, b: transB ? b + start * ldb : b + start, ldb: ldb, beta: beta,
                               c: c + start, ldc: ldc)
                }
            }
        }
    }

    /// OpenBLAS must run on the calling thread only: the kernels provide the parallelism.
    @inlinable
    public static func useSingleThreadedBLAS() {
        if BLAS.threadCount != 1 { BLAS.threadCount = 1 }
    }
}
