// The conditional DCGAN generator (Radford et al. 2016, conditioned by a learned class embedding):
// z ⊕ embed(y) → Linear → BatchNorm1d → ReLU → 256×4×4 → [ConvTranspose k4 s2 p1 → BN → ReLU]… →
// ConvTranspose → tanh. 64 px by default; each extra doubling adds one up-block. Names match
// bench/torch_models.py (`embed`, `fc`, `bn0`, `blocks.<3i>`, `blocks.<3i+1>`, `out`). With
// `conditionalNorm`, every up-block's batch norm is class-conditional (ConditionalBatchNorm: per-class
// γ and β, `blocks.<3i+1>.gamma.weight` / `.beta.weight` / `.bn.*`), so the class shapes every block.
// `conditioningWeight` λ scales the class embedding at the input (z ⊕ λ·embed(y)): transitional
// conditioning ramps it from 0 (an unconditional generator) to 1 (Shahbazi et al., ICLR 2022).
import Kernels
import NN
import Tensor

public final class Generator {
    public struct Configuration: Sendable, Equatable {
        public var classes: Int
        public var latentDimension: Int
        public var embeddingDimension: Int
        /// Channels of the 4×4 seed; halved by each up-block.
        public var baseChannels: Int
        /// 64 or 128 (any power of two ≥ 16).
        public var imageSize: Int
        /// Class-conditional batch norm in the up-blocks.
        public var conditionalNorm: Bool
        public init(
            classes: Int = 4, latentDimension: Int = 128, embeddingDimension: Int = 128, baseChannels: Int = 256, imageSize: Int = 64,
            conditionalNorm: Bool = false
        ) {
            self.classes = classes; self.latentDimension = latentDimension; self.embeddingDimension = embeddingDimension
            self.baseChannels = baseChannels; self.imageSize = imageSize; self.conditionalNorm = conditionalNorm
        }
        /// Up-blocks with batch norm before the output layer: log2(size / 4) − 1.
        public var upBlocks: Int { imageSize.trailingZeroBitCount - 3 }
    }

    public let configuration: Configuration
    public let store = ParameterStore()
    /// λ of transitional conditioning: the class embedding enters as λ·embed(y) (1: ordinary conditioning;
    /// 0: the class is ignored at the input). Not a parameter; the trainer sets it from its schedule.
    public var conditioningWeight: Float = 1
    let workspace = Workspace()
    let embed: Embedding
    let fc: Linear
    let bn0: BatchNorm
    let ups: [ConvTranspose2D]
    let upNorms: [BatchNorm]
    let conditionalNorms: [ConditionalBatchNorm]
    let out: ConvTranspose2D
    let tanh = ActivationLayer(.tanh)
    private var concatenated = Slots<Tensor?>()
    private var seed = Slots<Tensor?>()
    private var dSeed: Tensor?
    private var dHidden: Tensor?
    private var dEmbedding: Tensor?

    public init(_ configuration: Configuration = Configuration(), initializer: Initializer = .pytorchDefault, seed rngSeed: UInt64) {
        precondition(
            configuration.imageSize >= 16 && configuration.imageSize.nonzeroBitCount == 1, "Generator: image size must be a power of two ≥ 16")
        self.configuration = configuration
        var rng = RandomGenerator(seed: rngSeed)
        let c = configuration
        embed = Embedding("embed", store: store, rows: c.classes, dimension: c.embeddingDimension, rng: &rng)
        fc = Linear(
            "fc", store: store, inFeatures: c.latentDimension + c.embeddingDimension, outFeatures: 16 * c.baseChannels,
            bias: false, initializer: initializer, rng: &rng)
        bn0 = BatchNorm("bn0", store: store, channels: 16 * c.baseChannels, activation: .relu, initializer: initializer, rng: &rng)
        var ups: [ConvTranspose2D] = [], norms: [BatchNorm] = [], conditional: [ConditionalBatchNorm] = []
        var channels = c.baseChannels
        for i in 0..<c.upBlocks {
            ups.append(
                ConvTranspose2D(
                    "blocks.\(3 * i)", store: store, workspace: workspace, inChannels: channels, outChannels: channels / 2,
                    kernel: 4, stride: 2, padding: 1, bias: false, initializer: initializer, rng: &rng))
            if c.conditionalNorm {
                conditional.append(
                    ConditionalBatchNorm("blocks.\(3 * i + 1)", store: store, channels: channels / 2, classes: c.classes, activation: .relu))
            } else {
                norms.append(
                    BatchNorm("blocks.\(3 * i + 1)", store: store, channels: channels / 2, activation: .relu, initializer: initializer, rng: &rng))
            }
            channels /= 2
        }
        self.ups = ups
        upNorms = norms
        conditionalNorms = conditional
        out = ConvTranspose2D(
            "out", store: store, workspace: workspace, inChannels: channels, outChannels: 1, kernel: 4, stride: 2,
            padding: 1, bias: true, initializer: initializer, rng: &rng)
        store.finalize()
    }

    /// Images [N, S, S, 1] in [-1, 1] from latents z [N, latent] and class labels.
    public func forward(z: Tensor, labels: [Int], mode: Mode, slot: Int = 0) -> Tensor {
        let c = configuration
        let n = labels.count
        precondition(z.shape == [n, c.latentDimension], "Generator: z is \(z.shape), expected [\(n), \(c.latentDimension)]")
        let e = embed.forward(labels, slot: slot)
        var slotInput = concatenated[slot] ?? nil
        let h = reuse(&slotInput, [n, c.latentDimension + c.embeddingDimension])
        concatenated[slot] = slotInput
        let lambda = conditioningWeight
        for i in 0..<n {
            (h.data + i * h.shape[1]).update(from: z.data + i * c.latentDimension, count: c.latentDimension)
            let row = h.data + i * h.shape[1] + c.latentDimension, ei = e.data + i * c.embeddingDimension
            for j in 0..<c.embeddingDimension { row[j] = lambda * ei[j] }
        }
        let features = bn0.forward(fc.forward(h, mode: mode, slot: slot), mode: mode, slot: slot)
        var image = seed[slot] ?? nil
        let x0 = reuse(&image, [n, 4, 4, c.baseChannels])
        seed[slot] = image
        FeatureLayout.unflatten(features, into: x0, n: n, c: c.baseChannels, h: 4, w: 4)
        var x = x0
        if mode == .inference { foldedSlots.insert(slot) } else { foldedSlots.remove(slot) }
        for (i, up) in ups.enumerated() {
            if mode == .inference && !c.conditionalNorm {
                // Inference path: the up-block's batch norm folded into its transposed convolution.
                let (scale, shift) = upNorms[i].inferenceAffine()
                x = up.forwardFolded(x, scale: scale, shift: shift, activation: upNorms[i].activation, slot: slot)
                continue
            }
            let h = up.forward(x, mode: mode, slot: slot)
            x =
                c.conditionalNorm
                ? conditionalNorms[i].forward(h, labels: labels, mode: mode, slot: slot) : upNorms[i].forward(h, mode: mode, slot: slot)
        }
        if mode == .inference {
            // tanh applied to each output tile as it is finished.
            let identity = [Float](repeating: 1, count: 1), noShift = [Float](repeating: 0, count: 1)
            return out.forwardFolded(x, scale: identity, shift: noShift, activation: .tanh, slot: slot)
        }
        return tanh.forward(out.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
    }

    /// Slots whose last forward was in inference mode (the folded path keeps nothing for backward).
    private var foldedSlots: Set<Int> = []

    /// Accumulates parameter gradients from dL/dimage (the latent gets no gradient).
    public func backward(_ dImage: Tensor, slot: Int = 0) {
        precondition(!foldedSlots.contains(slot), "Generator: backward after an inference forward in slot \(slot) (nothing saved for it)")
        let c = configuration
        var d = out.backward(tanh.backward(dImage, slot: slot, parameterGradients: true), slot: slot, parameterGradients: true)
        for (i, up) in ups.enumerated().reversed() {
            let dNorm =
                c.conditionalNorm
                ? conditionalNorms[i].backward(d, slot: slot, parameterGradients: true)
                : upNorms[i].backward(d, slot: slot, parameterGradients: true)
            d = up.backward(dNorm, slot: slot, parameterGradients: true)
        }
        let n = d.shape[0]
        let dFeatures = reuse(&dSeed, [n, 16 * c.baseChannels])
        FeatureLayout.flatten(d, into: dFeatures, n: n, c: c.baseChannels, h: 4, w: 4)
        let dh = fc.backward(bn0.backward(dFeatures, slot: slot, parameterGradients: true), slot: slot, parameterGradients: true)
        let de = reuse(&dEmbedding, [n, c.embeddingDimension])
        let lambda = conditioningWeight
        for i in 0..<n {
            let row = dh.data + i * dh.shape[1] + c.latentDimension, dei = de.data + i * c.embeddingDimension
            for j in 0..<c.embeddingDimension { dei[j] = lambda * row[j] }
        }
        embed.backward(de, slot: slot)
    }

    /// Re-estimates every batch-norm layer's running statistics for the current weights ("standing
    /// statistics", Brock et al. 2019, BigGAN §3): `batches` training-mode passes over random latents and
    /// labels with a cumulative average. Needed after swapping in averaged (EMA) weights, whose
    /// activations the running statistics of the live weights do not describe.
    public func recomputeBatchNormStatistics(batches: Int = 16, batchSize: Int = 64, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        let norms: [any RunningStatistics] = [bn0] + upNorms + conditionalNorms
        let savedMomentum = norms.map(\.momentum)
        for norm in norms {
            store.value(norm.runningMean).update(repeating: 0, count: norm.channels)
            store.value(norm.runningVar).update(repeating: 1, count: norm.channels)
        }
        let z = Tensor(shape: [batchSize, configuration.latentDimension])
        for t in 1...max(1, batches) {
            for norm in norms { norm.momentum = 1 / Float(t) }  // cumulative mean over the passes
            for i in 0..<z.count { z[i] = rng.normal() }
            _ = forward(z: z, labels: (0..<batchSize).map { _ in rng.integer(below: configuration.classes) }, mode: .training, slot: 8)
        }
        for (norm, momentum) in zip(norms, savedMomentum) { norm.momentum = momentum }
    }

    /// Forward multiply–adds per image.
    public var macsPerImage: Int {
        let c = configuration
        var total = (c.latentDimension + c.embeddingDimension) * 16 * c.baseChannels
        var size = 4
        for up in ups {
            total += up.macs(h: size, w: size)
            size *= 2
        }
        return total + out.macs(h: size, w: size)
    }
}
