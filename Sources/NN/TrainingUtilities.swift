import Tensor

// Learning-rate schedule, gradient clipping and weight averaging — the pieces around an optimizer.
#if canImport(Glibc)
    import Glibc
#endif

/// Linear warm-up to the base rate, then cosine decay to `minimum` at `totalSteps`
/// (as timm's CosineLRScheduler with warmup_t; PyTorch: LinearLR then CosineAnnealingLR).
public struct WarmupCosineSchedule: Sendable, Equatable {
    public var base: Float
    public var minimum: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(base: Float, minimum: Float = 0, warmupSteps: Int, totalSteps: Int) {
        self.base = base; self.minimum = minimum; self.warmupSteps = warmupSteps; self.totalSteps = max(totalSteps, 1)
    }

    /// The rate for 0-based step `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Float(step - warmupSteps) / Float(span), 1)
        return minimum + (base - minimum) * 0.5 * (1 + cos(Float.pi * progress))
    }
}

public enum GradientClipping {
    /// Scales all gradients so their global L2 norm is at most `maxNorm`; returns the norm before
    /// clipping (torch.nn.utils.clip_grad_norm_, which scales by maxNorm / (norm + 1e-6)).
    @discardableResult
    public static func clipGlobalNorm(_ store: ParameterStore, maxNorm: Float) -> Float {
        let g = store.gradients.data
        var sum = 0.0
        for i in 0..<store.parameterCount { sum += Double(g[i]) * Double(g[i]) }
        let norm = Float(sum.squareRoot())
        let scale = maxNorm / (norm + 1e-6)
        if scale < 1 {
            for i in 0..<store.parameterCount { g[i] *= scale }
        }
        return norm
    }
}

/// Exponential moving average of a store's parameters (and a copy of its buffers), e.g. the GAN's
/// sampling generator: ema = decay · ema + (1 − decay) · w.
public final class ExponentialMovingAverage {
    public let decay: Float
    public let values: Tensor
    public let buffers: Tensor
    /// Average the buffers (batch-norm running statistics) too, as timm's ModelEmaV2 does for a
    /// classifier, instead of copying the live ones (the GAN recomputes standing statistics instead).
    public let averagingBuffers: Bool

    public init(copying store: ParameterStore, decay: Float, averagingBuffers: Bool = false) {
        self.decay = decay
        self.averagingBuffers = averagingBuffers
        values = Tensor(shape: [store.parameterCount])
        buffers = Tensor(shape: [store.bufferCount])
        values.copy(from: store.values)
        buffers.copy(from: store.buffers)
    }

    /// The decay used at update number `step` (0-based): `min(decay, (1 + step) / (10 + step))`, the
    /// warm-up of TensorFlow's `ExponentialMovingAverage(num_updates:)`. Without it a short run's average
    /// is mostly the random initialization (0.999⁵⁴⁰ ≈ 0.58 of it after 540 steps — measured: pure
    /// noise samples from cohortd's first 540-step demo run).
    public func decay(atStep step: Int) -> Float { min(decay, Float(1 + step) / Float(10 + step)) }

    /// ema = d · ema + (1 − d) · w with d = `decay(atStep:)` when `step` is given, else `decay`.
    public func update(from store: ParameterStore, step: Int? = nil) {
        let d = step.map { decay(atStep: $0) } ?? decay
        let e = values.data, w = store.values.data
        for i in 0..<store.parameterCount { e[i] = d * e[i] + (1 - d) * w[i] }
        if averagingBuffers {
            let eb = buffers.data, wb = store.buffers.data
            for i in 0..<store.bufferCount { eb[i] = d * eb[i] + (1 - d) * wb[i] }
            // Counters (num_batches_tracked) are counts, not statistics: copied, never averaged.
            for entry in store.entries where entry.kind == .counter {
                for i in entry.offset..<(entry.offset + entry.count) { eb[i] = wb[i] }
            }
        } else {
            buffers.copy(from: store.buffers)
        }
    }

    /// Swaps the averaged weights into `store` (call again to swap back).
    public func swap(with store: ParameterStore) {
        let e = values.data, w = store.values.data
        for i in 0..<store.parameterCount { (e[i], w[i]) = (w[i], e[i]) }
        let eb = buffers.data, wb = store.buffers.data
        for i in 0..<store.bufferCount { (eb[i], wb[i]) = (wb[i], eb[i]) }
    }
}
