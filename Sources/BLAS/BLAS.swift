// BLAS: the one Swift door to OpenBLAS. Everything heavy in Cohort is a GEMM through here.
import CBLAS

/// Row-major single-precision matrix products and OpenBLAS's runtime knobs.
///
/// Follows the reference BLAS `SGEMM` definition (netlib): `C = alpha * op(A) * op(B) + beta * C`,
/// with `op(X)` = X or Xᵀ. Matrices are row-major; `lda`, `ldb`, `ldc` are row strides in elements.
public enum BLAS {
    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
    ///
    /// - Parameters:
    ///   - transA: use Aᵀ; then `a` is stored k×m with row stride `lda` (≥ m), else m×k with `lda` ≥ k.
    ///   - transB: use Bᵀ; then `b` is stored n×k with row stride `ldb` (≥ k), else k×n with `ldb` ≥ n.
    ///   - ldc: row stride of `c` (≥ n).
    @inlinable
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
        precondition(lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small")
        precondition(ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// Number of threads OpenBLAS uses for one call. Setting it affects every later call in the process.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS selected at load time, e.g. `"SkylakeX"`, `"Haswell"`, `"Prescott"`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string (version, DYNAMIC_ARCH, thread model).
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}
