// Linear (fully connected) layer: y[N, out] = x[N, in] · Wᵀ + b with PyTorch's weight layout [out, in].
// Math: https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
import BLAS

public enum LinearKernel {
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, n: Int, inFeatures: Int, outFeatures: Int
    ) {
        GEMM.multiply(transB: true, m: n, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: weight, ldb: inFeatures, c: out, ldc: outFeatures)
        ConvEpilogue.applyParallel(out, bias: bias, activation: .identity, rows: n, channels: outFeatures)
    }

    /// dx overwritten (if requested); weight and bias gradients accumulated.
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?, biasGrad: UnsafeMutablePointer<Float>?,
        dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        n: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let dx {
            GEMM.multiply(m: n, n: inFeatures, k: outFeatures, a: dOut, lda: outFeatures, b: weight, ldb: inFeatures, c: dx, ldc: inFeatures)
        }
        if let weightGrad {
            GEMM.multiply(
                transA: true, m: outFeatures, n: inFeatures, k: n, a: dOut, lda: outFeatures, b: x, ldb: inFeatures, beta: 1, c: weightGrad,
                ldc: inFeatures)
        }
        if let biasGrad { Conv2DKernel.sumRows(dOut, rows: n, channels: outFeatures, accumulatingInto: biasGrad) }
    }
}
