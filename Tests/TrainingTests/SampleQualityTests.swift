// FCD and the memorization check on controlled data.
import Curation
import Tensor
import Testing

@testable import Training

@Suite struct SampleQualityTests {
    static func gaussian(_ n: Int, _ d: Int, mean: Float, std: Float, seed: UInt64) -> [[Float]] {
        var rng = RandomGenerator(seed: seed)
        return (0..<n).map { _ in (0..<d).map { _ in rng.normal(mean: mean, std: std) } }
    }

    @Test func frechetDistanceOfKnownGaussians() {
        // Identical distributions → ≈ 0; N(0, I) vs N(1, I) in d dims → d (the mean term);
        // N(0, I) vs N(0, 4I) → d·(1 + 4 − 2·2) = d.
        let d = 6
        let a = Self.gaussian(4000, d, mean: 0, std: 1, seed: 1)
        #expect(FrechetDistance.between(a, Self.gaussian(4000, d, mean: 0, std: 1, seed: 2)) < 0.1)
        let shifted = FrechetDistance.between(a, Self.gaussian(4000, d, mean: 1, std: 1, seed: 3))
        #expect(abs(shifted - Double(d)) < 0.5, "mean shift FD \(shifted)")
        let wider = FrechetDistance.between(a, Self.gaussian(4000, d, mean: 0, std: 2, seed: 4))
        #expect(abs(wider - Double(d)) < 0.6, "variance FD \(wider)")
    }

    @Test func jacobiEigenvalues() {
        let m: [Double] = [4, 1, 0, 1, 3, 1, 0, 1, 2]
        let values = SymmetricEigen.values(m, 3).sorted()
        // Characteristic polynomial roots of this matrix: 3 − √3, 3, 3 + √3.
        #expect(zip(values, [3 - 3.0.squareRoot(), 3, 3 + 3.0.squareRoot()]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func nearCopiesAreRejectedAndNovelSamplesKept() {
        let real = Self.gaussian(200, 64, mean: 0, std: 1, seed: 5)
        var synthetic = Self.gaussian(20, 64, mean: 0, std: 1, seed: 6)  // novel
        for i in 0..<5 { synthetic.append(real[i].map { $0 + 0.01 }) }  // near-copies
        let check = MemorizationCheck(real: real, synthetic: synthetic)
        #expect(check.rejectedCount == 5, "rejected \(check.rejectedCount)")
        #expect(check.nearCopies.suffix(5).allSatisfy { $0 } && !check.nearCopies.prefix(20).contains(true))
        #expect(check.pixelThreshold > 0)
    }
}
