// DiffAugment's backward against finite differences, with the same random draws.
import CohortTestSupport
import Tensor
import Testing

@testable import Training

@Suite struct DiffAugmentTests {
    @Test func gradientMatchesFiniteDifferences() {
        let augment = DiffAugment()
        var rng = RandomGenerator(seed: 4)
        let x = Tensor(shape: [3, 12, 12, 1])
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        let r = (0..<x.count).map { _ in rng.uniform(-1, 1) }
        let seedState = RandomGenerator(seed: 11)
        var draw = seedState
        _ = augment.forward(x, slot: 0, rng: &draw)
        let dx = augment.backward(Tensor(shape: x.shape, values: r), slot: 0).array
        let report = GradientCheck.check("DiffAugment", values: x.data, count: x.count, analytic: dx, step: 1e-2, samples: 200) {
            var same = seedState  // identical draws for every evaluation
            return GradientCheck.projection(augment.forward(x, slot: 1, rng: &same).data, r)
        }
        #expect(report.worstError < 1e-2, "\(report)")
    }

    @Test func sameDrawsSameOutput() {
        let augment = DiffAugment()
        let x = Tensor(shape: [2, 8, 8, 1], values: (0..<128).map { Float($0 % 7) / 7 })
        var a = RandomGenerator(seed: 2), b = RandomGenerator(seed: 2)
        let first = augment.forward(x, slot: 0, rng: &a).array
        #expect(first == augment.forward(x, slot: 1, rng: &b).array)
        #expect(first != x.array)
    }
}
