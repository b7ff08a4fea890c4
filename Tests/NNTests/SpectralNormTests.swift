// Spectral normalization: W/σ against PyTorch's torch.nn.utils.parametrizations.spectral_norm at
// convergence (Tests/Fixtures/spectral_norm.safetensors), its gradient against finite differences of
// L(W) = Σ C ⊙ W/σ(W) with the exact σ, and the store left holding the raw weights.
import CohortTestSupport
import NN
import Tensor
import Testing

@Suite struct SpectralNormTests {
    /// A store with one weight of `shape` holding `values`.
    func makeStore(_ shape: [Int], _ values: [Float]) -> (ParameterStore, ParameterRef) {
        let store = ParameterStore()
        let ref = store.register("w", shape: shape, initial: values)
        store.finalize()
        return (store, ref)
    }

    @Test func matchesPyTorchAtConvergence() throws {
        let file = try Fixtures.load("spectral_norm.safetensors")
        for name in ["conv", "linear"] {
            let shape = file.shape("\(name).weight")
            let (store, ref) = makeStore(shape, file.floats("\(name).weight"))
            let norm = SpectralNorm(store: store, weights: [ref], seed: 3)
            norm.powerIterations = 200
            norm.normalize()  // 15 steps
            norm.restore(transformingGradients: false)
            norm.normalize()  // + 200
            var log: [String] = []
            _ = expectMatches(Array(UnsafeBufferPointer(start: store.value(ref), count: shape.reduce(1, *))), file, "\(name).normalized", log: &log)
            #expect(abs(norm.sigmas[0] - file.floats("\(name).sigma")[0]) <= 1e-4 * file.floats("\(name).sigma")[0], "σ \(name)")
            let upstream = file.floats("\(name).upstream")
            store.zeroGradients()
            for (i, value) in upstream.enumerated() { store.gradient(ref)[i] = value }
            norm.restore(transformingGradients: true)
            _ = expectMatches(Array(UnsafeBufferPointer(start: store.gradient(ref), count: upstream.count)), file, "\(name).grad", log: &log)
            #expect(Array(UnsafeBufferPointer(start: store.value(ref), count: upstream.count)) == file.floats("\(name).weight"), "raw weights back")
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = RandomGenerator(seed: 11)
        let shape = [4, 6]
        let count = 24
        let weights = (0..<count).map { _ in rng.normal() }
        let upstream = (0..<count).map { _ in rng.normal() }
        /// A store holding W/σ(W) with σ converged (15 + 300 power steps), and its normalizer.
        func normalized(_ w: [Float]) -> (ParameterStore, ParameterRef, SpectralNorm) {
            let (store, ref) = makeStore(shape, w)
            let norm = SpectralNorm(store: store, weights: [ref], seed: 5)
            norm.powerIterations = 300
            norm.normalize()
            norm.restore(transformingGradients: false)
            norm.normalize()
            return (store, ref, norm)
        }
        /// L(W) = Σ C ⊙ W/σ(W).
        func loss(_ w: [Float]) -> Double {
            let (store, ref, _) = normalized(w)
            return (0..<count).reduce(0.0) { $0 + Double(store.value(ref)[$1]) * Double(upstream[$1]) }
        }
        let (store, ref, norm) = normalized(weights)
        store.zeroGradients()
        for i in 0..<count { store.gradient(ref)[i] = upstream[i] }
        norm.restore(transformingGradients: true)
        let analytic = (0..<count).map { Double(store.gradient(ref)[$0]) }
        let h: Float = 1e-2
        var worst = 0.0
        for i in 0..<count {
            var plus = weights, minus = weights
            plus[i] += h
            minus[i] -= h
            let numeric = (loss(plus) - loss(minus)) / Double(2 * h)
            worst = max(worst, abs(numeric - analytic[i]) / max(1, abs(numeric)))
        }
        #expect(worst < 2e-2, "worst relative difference \(worst)")
    }

    @Test func normalizedWeightsHaveUnitSpectralNorm() {
        // Rows orthogonal with norms 3, 2, 1: σ = 3.
        let w: [Float] = [3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0]
        let (store, ref) = makeStore([3, 4], w)
        let norm = SpectralNorm(store: store, weights: [ref], seed: 1)
        norm.normalize()
        #expect(abs(norm.sigmas[0] - 3) < 1e-3)
        #expect(abs(store.value(ref)[0] - 1) < 1e-3 && abs(store.value(ref)[5] - 2.0 / 3) < 1e-3)
        norm.restore(transformingGradients: false)
        #expect(Array(UnsafeBufferPointer(start: store.value(ref), count: 12)) == w)
    }
}
