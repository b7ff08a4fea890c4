// The projection discriminator (Miyato & Koyama 2018) on DCGAN down-blocks:
// Conv k4 s2 p1 → LeakyReLU(0.2) → [Conv k4 s2 p1 → BN → LeakyReLU(0.2)]… → flatten f (NCHW order)
// → D(x, y) = Linear(f) + ⟨embed(y), f⟩. Names match bench/torch_models.py (`conv0`, `blocks.<3i>`,
// `blocks.<3i+1>`, `fc`, `embed`). Without batch norm (`Configuration.batchNorm` false: SNGAN's
// discriminator, spectral normalization alone) a down-block is Conv (with bias) → LeakyReLU, named
// `blocks.<3i>`; there is no `blocks.<3i+1>`. The idea: batch norm normalizes the fake batch by its own
// statistics, which may hide a collapsed batch from D; measured, it made `make demo`'s collapse worse
// (docs/results.md), so batch norm stays on by default. `backward(…, parameterGradients: false)` is the frozen D of the
// generator step: it returns dL/dimage without touching D's gradients. `conditioningWeight` λ scales the
// projection term, D(x, y) = Linear(f) + λ·⟨embed(y), f⟩: transitional conditioning ramps it from an
// unconditional D (λ = 0) to the projection discriminator (λ = 1; Shahbazi et al., ICLR 2022).
import Kernels
import NN
import Tensor

public final class Discriminator {
    public struct Configuration: Sendable, Equatable {
        public var classes: Int
        /// Channels after the first convolution; doubled by each down-block.
        public var baseChannels: Int
        public var imageSize: Int
        /// Batch norm in the down-blocks (false: Conv with bias → LeakyReLU).
        public var batchNorm: Bool
        public init(classes: Int = 4, baseChannels: Int = 32, imageSize: Int = 64, batchNorm: Bool = true) {
            self.classes = classes; self.baseChannels = baseChannels; self.imageSize = imageSize; self.batchNorm = batchNorm
        }
        /// Down-blocks with batch norm after conv0: log2(size / 4) − 1.
        public var downBlocks: Int { imageSize.trailingZeroBitCount - 3 }
        public var finalChannels: Int { baseChannels << downBlocks }
        public var featureCount: Int { 16 * finalChannels }
    }

    public let configuration: Configuration
    public let store = ParameterStore()
    /// λ of transitional conditioning: the weight of the class projection in the score (1: the projection
    /// discriminator; 0: unconditional). Not a parameter; the trainer sets it from its schedule.
    public var conditioningWeight: Float = 1
    let workspace = Workspace()
    let conv0: Conv2D
    let act0 = ActivationLayer(.leakyReLU(0.2))
    /// Down-blocks: ConvBN, or ConvActivation without batch norm.
    let downs: [any Layer]
    /// Their convolutions (spectral normalization, MACs).
    let downConvs: [Conv2D]
    let fc: Linear
    let embed: Embedding
    private var features = Slots<Tensor?>()
    private var saved = Slots<(labels: [Int], features: Tensor)>()
    private var outputs = Slots<Tensor?>()
    private var dFeatures: Tensor?
    private var dImage: Tensor?
    private var dEmbed: Tensor?
    private var dLinear: Tensor?

    public init(_ configuration: Configuration = Configuration(), initializer: Initializer = .pytorchDefault, seed: UInt64) {
        self.configuration = configuration
        var rng = RandomGenerator(seed: seed)
        let c = configuration
        conv0 = Conv2D(
            "conv0", store: store, workspace: workspace, inChannels: 1, outChannels: c.baseChannels, kernel: 4, stride: 2,
            padding: 1, bias: true, initializer: initializer, rng: &rng)
        var downs: [any Layer] = []
        var downConvs: [Conv2D] = []
        var channels = c.baseChannels
        for i in 0..<c.downBlocks {
            let conv = Conv2D(
                "blocks.\(3 * i)", store: store, workspace: workspace, inChannels: channels, outChannels: channels * 2,
                kernel: 4, stride: 2, padding: 1, bias: !c.batchNorm, initializer: initializer, rng: &rng)
            if c.batchNorm {
                let bn = BatchNorm(
                    "blocks.\(3 * i + 1)", store: store, channels: channels * 2, activation: .leakyReLU(0.2), initializer: initializer, rng: &rng)
                downs.append(ConvBN(conv: conv, bn: bn))
            } else {
                downs.append(ConvActivation(conv: conv, activation: .leakyReLU(0.2)))
            }
            downConvs.append(conv)
            channels *= 2
        }
        self.downs = downs
        self.downConvs = downConvs
        fc = Linear("fc", store: store, inFeatures: c.featureCount, outFeatures: 1, initializer: initializer, rng: &rng)
        embed = Embedding("embed", store: store, rows: c.classes, dimension: c.featureCount, rng: &rng)
        store.finalize()
    }

    /// Scores [N] for images [N, S, S, 1] and labels.
    public func forward(_ images: Tensor, labels: [Int], mode: Mode, slot: Int = 0) -> Tensor {
        let c = configuration
        let n = labels.count
        var x = act0.forward(conv0.forward(images, mode: mode, slot: slot), mode: mode, slot: slot)
        for down in downs { x = down.forward(x, mode: mode, slot: slot) }
        var slotFeatures = features[slot] ?? nil
        let f = reuse(&slotFeatures, [n, c.featureCount])
        features[slot] = slotFeatures
        FeatureLayout.flatten(x, into: f, n: n, c: c.finalChannels, h: 4, w: 4)
        let linear = fc.forward(f, mode: mode, slot: slot)
        let e = embed.forward(labels, slot: slot)
        var slotOutput = outputs[slot] ?? nil
        let scores = reuse(&slotOutput, [n])
        outputs[slot] = slotOutput
        for i in 0..<n {
            var projection: Float = 0
            let fi = f.data + i * c.featureCount, ei = e.data + i * c.featureCount
            for j in 0..<c.featureCount { projection += fi[j] * ei[j] }
            scores[i] = linear[i] + conditioningWeight * projection
        }
        saved[slot] = (labels, f)
        return scores
    }

    /// Given dL/dscores [N], accumulates D's gradients (unless frozen) and, when `inputGradient`,
    /// returns dL/dimages (the generator step needs it; the discriminator step does not).
    @discardableResult
    public func backward(_ dScores: Tensor, slot: Int = 0, parameterGradients: Bool = true, inputGradient: Bool = true) -> Tensor? {
        guard let (labels, f) = saved[slot] else { preconditionFailure("Discriminator: backward without forward in slot \(slot)") }
        let c = configuration
        let n = labels.count
        let dl = reuse(&dLinear, [n, 1])
        for i in 0..<n { dl[i] = dScores[i] }
        let df = fc.backward(dl, slot: slot, parameterGradients: parameterGradients)  // dScores · w, overwrites
        let table = store.value(embed.weight)
        let de = reuse(&dEmbed, [n, c.featureCount])
        for i in 0..<n {
            let row = table + labels[i] * c.featureCount
            let dfi = df.data + i * c.featureCount, fi = f.data + i * c.featureCount, dei = de.data + i * c.featureCount
            let dProjection = conditioningWeight * dScores[i]
            for j in 0..<c.featureCount {
                dfi[j] += dProjection * row[j]
                dei[j] = dProjection * fi[j]
            }
        }
        embed.backward(de, slot: slot, parameterGradients: parameterGradients)
        let dx = reuse(&dFeatures, [n, 4, 4, c.finalChannels])
        FeatureLayout.unflatten(df, into: dx, n: n, c: c.finalChannels, h: 4, w: 4)
        var d = dx
        for down in downs.reversed() { d = down.backward(d, slot: slot, parameterGradients: parameterGradients) }
        return conv0.backward(
            act0.backward(d, slot: slot, parameterGradients: parameterGradients), slot: slot,
            parameterGradients: parameterGradients, inputGradient: inputGradient)
    }

    /// The weights spectral normalization applies to: every convolution and the linear head (the class
    /// embedding of the projection is left as it is).
    public var spectrallyNormalizedWeights: [ParameterRef] { [conv0.weight] + downConvs.map(\.weight) + [fc.weight] }

    public var macsPerImage: Int {
        var total = conv0.macs(h: configuration.imageSize, w: configuration.imageSize)
        var size = configuration.imageSize / 2
        for conv in downConvs {
            total += conv.macs(h: size, w: size)
            size /= 2
        }
        return total + 2 * configuration.featureCount
    }
}
