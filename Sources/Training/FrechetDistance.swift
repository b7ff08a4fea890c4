// The Fréchet distance between two Gaussians fitted to feature vectors (Heusel et al. 2017's FID
// formula): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). Cohort computes it in the penultimate features of its
// own trained classifier ("FCD"), which makes it comparable across Cohort runs on the same data and
// classifier, and NOT comparable to Inception-based FID values reported elsewhere.

public enum FrechetDistance {
    /// FD between the rows of `a` and of `b` (each [count][dimension]).
    public static func between(_ a: [[Float]], _ b: [[Float]]) -> Double {
        let (muA, sigmaA) = moments(a), (muB, sigmaB) = moments(b)
        let d = muA.count
        var meanTerm = 0.0
        for i in 0..<d { meanTerm += (muA[i] - muB[i]) * (muA[i] - muB[i]) }
        // Tr((Σ₁Σ₂)^½) = Σ √λ of the symmetric PSD matrix √Σ₁ Σ₂ √Σ₁ (same eigenvalues as Σ₁Σ₂).
        let rootA = symmetricSquareRoot(sigmaA, d)
        let product = multiply(multiply(rootA, sigmaB, d), rootA, d)
        let eigenvalues = SymmetricEigen.values(product, d)
        let traceRoot = eigenvalues.reduce(0.0) { $0 + max($1, 0).squareRoot() }
        var traces = 0.0
        for i in 0..<d { traces += sigmaA[i * d + i] + sigmaB[i * d + i] }
        return max(meanTerm + traces - 2 * traceRoot, 0)
    }

    /// Mean and (unbiased) covariance, row-major d×d, in Double.
    static func moments(_ rows: [[Float]]) -> ([Double], [Double]) {
        let n = rows.count, d = rows.first?.count ?? 0
        var mu = [Double](repeating: 0, count: d)
        for row in rows { for i in 0..<d { mu[i] += Double(row[i]) } }
        for i in 0..<d { mu[i] /= Double(max(n, 1)) }
        var sigma = [Double](repeating: 0, count: d * d)
        for row in rows {
            let centred = (0..<d).map { Double(row[$0]) - mu[$0] }
            for i in 0..<d where centred[i] != 0 {
                let ci = centred[i]
                for j in i..<d { sigma[i * d + j] += ci * centred[j] }
            }
        }
        let scale = 1 / Double(max(n - 1, 1))
        for i in 0..<d {
            for j in i..<d {
                sigma[i * d + j] *= scale
                sigma[j * d + i] = sigma[i * d + j]
            }
        }
        return (mu, sigma)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for k in 0..<d where a[i * d + k] != 0 {
                let aik = a[i * d + k]
                for j in 0..<d { c[i * d + j] += aik * b[k * d + j] }
            }
        }
        return c
    }

    /// V·diag(√max(λ, 0))·Vᵀ of a symmetric PSD matrix.
    static func symmetricSquareRoot(_ m: [Double], _ d: Int) -> [Double] {
        let (values, vectors) = SymmetricEigen.decompose(m, d)
        var out = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let s = max(values[k], 0).squareRoot()
            if s == 0 { continue }
            for i in 0..<d {
                let vik = vectors[i * d + k] * s
                for j in 0..<d { out[i * d + j] += vik * vectors[j * d + k] }
            }
        }
        return out
    }
}

/// Cyclic Jacobi eigen-decomposition of a symmetric matrix in Double (Golub & Van Loan §8.5): plain,
/// robust, no LAPACK needed; O(d³) per sweep, fine for the classifier's few hundred features.
enum SymmetricEigen {
    static func values(_ m: [Double], _ d: Int) -> [Double] { decompose(m, d).values }

    /// Eigenvalues and eigenvectors (column k of `vectors`, row-major d×d).
    static func decompose(_ m: [Double], _ d: Int) -> (values: [Double], vectors: [Double]) {
        var a = m
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        for _ in 0..<60 {
            var off = 0.0
            for i in 0..<d { for j in (i + 1)..<max(i + 1, d) { off += a[i * d + j] * a[i * d + j] } }
            var diagonal = 0.0
            for i in 0..<d { diagonal += a[i * d + i] * a[i * d + i] }
            if off <= 1e-22 * max(diagonal, 1e-300) { break }
            for p in 0..<d {
                for q in (p + 1)..<max(p + 1, d) {
                    let apq = a[p * d + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * d + q] - a[p * d + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let akp = a[k * d + p], akq = a[k * d + q]
                        a[k * d + p] = c * akp - s * akq
                        a[k * d + q] = s * akp + c * akq
                    }
                    for k in 0..<d {
                        let apk = a[p * d + k], aqk = a[q * d + k]
                        a[p * d + k] = c * apk - s * aqk
                        a[q * d + k] = s * apk + c * aqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<d).map { a[$0 * d + $0] }, v)
    }
}
