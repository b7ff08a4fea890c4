// The privacy check for synthetic samples: how close each sample is to its nearest real training
// image, by pixel L2 distance at model size and by cosine similarity of classifier features. The
// thresholds come from the real images themselves: a sample closer to a real image than 99% of real
// images are to their own nearest (non-identical) neighbour is a near-copy and is rejected.
import BLAS
import Foundation

public struct MemorizationCheck: Sendable {
    /// Per sample: nearest real pixel distance and largest real feature cosine.
    public var pixelDistances: [Float]
    public var featureCosines: [Float]
    /// The thresholds used (1st percentile of real→real distances, 99th of real→real cosines).
    public var pixelThreshold: Float
    public var cosineThreshold: Float
    /// Samples judged near-copies.
    public var nearCopies: [Bool]

    public var rejectedCount: Int { nearCopies.filter { $0 }.count }

    /// `real` and `synthetic` are [count][pixels] at model size; `realFeatures`/`syntheticFeatures` the
    /// classifier's penultimate features of the same images (or empty to skip the feature test).
    /// `pixelThreshold`, when given, is a threshold already computed from the same real images
    /// (`MemorizationCheck.pixelThreshold(real:)`): drawing in rounds need not redo the real→real search.
    public init(
        real: [[Float]], synthetic: [[Float]], realFeatures: [[Float]] = [], syntheticFeatures: [[Float]] = [], percentile: Double = 0.01,
        pixelThreshold known: Float? = nil
    ) {
        pixelThreshold = known ?? Self.pixelThreshold(real: real, percentile: percentile)
        pixelDistances = Self.nearest(synthetic, real, excludeSelf: false).distances
        if !realFeatures.isEmpty && syntheticFeatures.count == synthetic.count {
            let realCos = Self.nearestCosine(realFeatures, realFeatures, excludeSelf: true).filter { $0 < 1 - 1e-6 }
            cosineThreshold = Self.quantile(realCos, 1 - percentile)
            featureCosines = Self.nearestCosine(syntheticFeatures, realFeatures, excludeSelf: false)
        } else {
            cosineThreshold = .infinity
            featureCosines = [Float](repeating: -1, count: synthetic.count)
        }
        let (pt, ct) = (pixelThreshold, cosineThreshold)
        nearCopies = zip(pixelDistances, featureCosines).map { $0 < pt || $1 > ct }
    }

    /// The near-copy threshold of a set of real images: the `percentile` of real→real nearest distances.
    public static func pixelThreshold(real: [[Float]], percentile: Double = 0.01) -> Float {
        quantile(nearest(real, real, excludeSelf: true).distances.filter { $0 > 1e-6 }, percentile)
    }

    static func quantile(_ values: [Float], _ q: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int(Double(sorted.count - 1) * q)))]
    }

    /// Nearest row of `b` for each row of `a` by L2 distance (RMS per pixel), via one GEMM.
    static func nearest(_ a: [[Float]], _ b: [[Float]], excludeSelf: Bool) -> (distances: [Float], indices: [Int]) {
        guard let d = a.first?.count, !b.isEmpty else { return ([], []) }
        let gram = dot(a, b, d)
        let na = a.map { $0.reduce(0) { $0 + $1 * $1 } }, nb = b.map { $0.reduce(0) { $0 + $1 * $1 } }
        var distances = [Float](repeating: .infinity, count: a.count), indices = [Int](repeating: -1, count: a.count)
        for i in 0..<a.count {
            for j in 0..<b.count where !(excludeSelf && i == j) {
                let squared = max(na[i] + nb[j] - 2 * gram[i * b.count + j], 0)
                if squared < distances[i] { (distances[i], indices[i]) = (squared, j) }
            }
            distances[i] = (distances[i] / Float(d)).squareRoot()
        }
        return (distances, indices)
    }

    /// Largest cosine similarity to a row of `b` for each row of `a`.
    static func nearestCosine(_ a: [[Float]], _ b: [[Float]], excludeSelf: Bool) -> [Float] {
        guard let d = a.first?.count, !b.isEmpty else { return [] }
        func normalized(_ rows: [[Float]]) -> [[Float]] {
            rows.map { row in
                let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                return row.map { $0 / norm }
            }
        }
        let gram = dot(normalized(a), normalized(b), d)
        return (0..<a.count).map { i in
            var best: Float = -1
            for j in 0..<b.count where !(excludeSelf && i == j) { best = max(best, gram[i * b.count + j]) }
            return best
        }
    }

    static func dot(_ a: [[Float]], _ b: [[Float]], _ d: Int) -> [Float] {
        let flatA = a.flatMap { $0 }, flatB = b.flatMap { $0 }
        var out = [Float](repeating: 0, count: a.count * b.count)
        flatA.withUnsafeBufferPointer { pa in
            flatB.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.parallelSgemm(
                        transB: true, m: a.count, n: b.count, k: d, a: pa.baseAddress!, lda: d, b: pb.baseAddress!, ldb: d,
                        c: pc.baseAddress!, ldc: b.count, workers: ProcessInfo.processInfo.activeProcessorCount)
                }
            }
        }
        return out
    }
}
