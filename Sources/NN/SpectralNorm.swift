// Spectral normalization (Miyato et al., "Spectral Normalization for Generative Adversarial Networks",
// ICLR 2018; PyTorch's torch.nn.utils.spectral_norm): a weight W, viewed as a matrix [out, rest], is used
// as W / σ(W), σ its largest singular value, estimated by power iteration with a persistent vector u
// (one step per use, 15 at the first, as PyTorch does).
//
// It works on a ParameterStore in place, around a model's own forward and backward, so no layer changes:
//   normalize()  — saves the raw weights, advances the power iteration, writes W/σ into the store;
//   forward/backward as usual — the store's gradients are then dL/d(W/σ);
//   restore(transformingGradients: true) — turns them into dL/dW and puts the raw weights back,
// so the optimizer updates, and checkpoints save, the raw weights. With u and v held constant (as
// PyTorch does: it computes them without autograd), σ = uᵀWv and
//   dL/dW = (G − ⟨G, W/σ⟩ · u vᵀ) / σ,   G = dL/d(W/σ).
import Tensor

public final class SpectralNorm {
    final class Entry {
        let ref: ParameterRef
        let rows: Int
        let columns: Int
        var u: [Float]
        var v: [Float]
        var raw: [Float]
        var sigma: Float = 1
        var initialized = false
        init(ref: ParameterRef, rows: Int, columns: Int, u: [Float]) {
            self.ref = ref
            self.rows = rows
            self.columns = columns
            self.u = u
            v = [Float](repeating: 0, count: columns)
            raw = [Float](repeating: 0, count: rows * columns)
        }
    }

    private let store: ParameterStore
    private let entries: [Entry]
    private var normalized = false
    /// Power-iteration steps per `normalize()` after the first (PyTorch's n_power_iterations, default 1).
    public var powerIterations = 1
    /// Steps at the first `normalize()` (PyTorch runs 15 when the module is wrapped).
    public static let initialIterations = 15
    private static let epsilon: Float = 1e-12

    /// Normalizes `weights` of `store`; each is viewed as [shape[0], product of the rest] (PyTorch's dim 0).
    /// `seed` draws the initial u (a fresh object after a checkpoint restore starts again from 15 steps).
    public init(store: ParameterStore, weights: [ParameterRef], seed: UInt64) {
        self.store = store
        var rng = RandomGenerator(seed: seed)
        entries = weights.map { ref in
            let shape = store.entry(ref).shape
            let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
            var u = (0..<rows).map { _ in rng.normal() }
            SpectralNorm.normalizeInPlace(&u)
            return Entry(ref: ref, rows: rows, columns: columns, u: u)
        }
    }

    /// The power iteration's u vectors (one per weight, in the order given), for checkpoints: a run resumed
    /// with them continues exactly; without them it starts again with 15 steps from a random u.
    public var uVectors: [[Float]] {
        get { entries.map(\.u) }
        set {
            precondition(
                newValue.count == entries.count && zip(newValue, entries).allSatisfy { $0.count == $1.rows },
                "SpectralNorm: u vectors do not fit the weights")
            for (e, u) in zip(entries, newValue) {
                e.u = u
                e.initialized = true
            }
        }
    }

    /// The current σ estimates, in the order the weights were given.
    public var sigmas: [Float] { entries.map(\.sigma) }

    /// Saves the raw weights and writes W/σ(W) into the store.
    public func normalize() {
        precondition(!normalized, "SpectralNorm: normalize() twice without restore()")
        for e in entries {
            let w = store.value(e.ref)
            for i in 0..<(e.rows * e.columns) { e.raw[i] = w[i] }
            let steps = e.initialized ? powerIterations : Self.initialIterations
            e.initialized = true
            for _ in 0..<steps {
                // v = normalize(Wᵀu); u = normalize(W v)
                for j in 0..<e.columns { e.v[j] = 0 }
                for i in 0..<e.rows {
                    let ui = e.u[i], row = i * e.columns
                    for j in 0..<e.columns { e.v[j] += w[row + j] * ui }
                }
                Self.normalizeInPlace(&e.v)
                for i in 0..<e.rows {
                    var sum: Float = 0
                    let row = i * e.columns
                    for j in 0..<e.columns { sum += w[row + j] * e.v[j] }
                    e.u[i] = sum
                }
                Self.normalizeInPlace(&e.u)
            }
            // σ = uᵀ W v
            var sigma: Float = 0
            for i in 0..<e.rows {
                var sum: Float = 0
                let row = i * e.columns
                for j in 0..<e.columns { sum += w[row + j] * e.v[j] }
                sigma += e.u[i] * sum
            }
            e.sigma = max(sigma, Self.epsilon)
            let scale = 1 / e.sigma
            for i in 0..<(e.rows * e.columns) { w[i] = e.raw[i] * scale }
        }
        normalized = true
    }

    /// Puts the raw weights back; with `transformingGradients`, first turns the store's dL/d(W/σ) into dL/dW.
    public func restore(transformingGradients: Bool) {
        precondition(normalized, "SpectralNorm: restore() without normalize()")
        for e in entries {
            let w = store.value(e.ref)
            if transformingGradients {
                let g = store.gradient(e.ref)
                var inner: Float = 0  // ⟨G, W/σ⟩
                for i in 0..<(e.rows * e.columns) { inner += g[i] * w[i] }
                let scale = 1 / e.sigma
                for i in 0..<e.rows {
                    let row = i * e.columns, ui = inner * e.u[i]
                    for j in 0..<e.columns { g[row + j] = (g[row + j] - ui * e.v[j]) * scale }
                }
            }
            for i in 0..<(e.rows * e.columns) { w[i] = e.raw[i] }
        }
        normalized = false
    }

    private static func normalizeInPlace(_ x: inout [Float]) {
        var norm: Float = 0
        for value in x { norm += value * value }
        let scale = 1 / max(norm.squareRoot(), epsilon)
        for i in x.indices { x[i] *= scale }
    }
}
