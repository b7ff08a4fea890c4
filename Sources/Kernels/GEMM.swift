// Matrix products for the kernels: BLAS.parallelSgemm on the kernels' worker count (OpenBLAS itself
// single-threaded; see BLAS/ParallelSgemm.swift for why).
import BLAS

public enum GEMM {
    /// Row-major `C[m×n] = alpha · op(A) · op(B) + beta · C` on `Parallel.workers` threads.
    @inlinable
    public static func multiply(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.parallelSgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc, workers: Parallel.workers)
    }

    /// OpenBLAS must run on the calling thread only: the kernels provide the parallelism.
    @inlinable
    public static func useSingleThreadedBLAS() {
        if BLAS.threadCount != 1 { BLAS.threadCount = 1 }
    }
}
