// One conditional-GAN iteration with hinge losses (Miyato & Koyama 2018; docs/engine-contract.md):
// fake = G(z, y′) once; a D step on real and fake batches (separate batch statistics); a G step through
// the frozen, just-updated D. Each step uses Adam as DCGAN does (lr 2e-4, β = (0.5, 0.999)).
import Kernels
import Models
import NN
import Tensor

public final class GANTrainingStep {
    public let generator: Generator
    public let discriminator: Discriminator
    public let generatorOptimizer: Adam
    public let discriminatorOptimizer: Adam
    /// Applied to every batch D sees, real and fake alike (nil: no augmentation).
    public var augment: DiffAugment?
    /// Spectral normalization of D's weights (nil: off). D runs on W/σ; the optimizer updates raw W.
    public var spectralNorm: SpectralNorm?
    /// LeCam regularization of D (nil: off); its anchors are saved in checkpoints.
    public var lecam: LeCamRegularizer?
    /// Weight of MSGAN's mode-seeking term in G's loss (0: off; `ModeSeekingKernel`). When on, the fake
    /// batch's two halves must share their labels (image i pairs with image N/2 + i): `GANTrainer` draws them so.
    public var modeSeekingWeight: Float = 0
    /// Draws for the augmentation; saved in checkpoints.
    public var rng = RandomGenerator(seed: 0)
    private var dReal: Tensor?
    private var dFake: Tensor?
    private var dScores: Tensor?

    /// Losses of one iteration.
    public struct Losses: Sendable {
        public var discriminator: Float
        public var generator: Float
    }

    /// `discriminatorLearningRate` (default: the generator's) allows the two time-scale rule (Heusel et al. 2017).
    public init(
        generator: Generator, discriminator: Discriminator, learningRate: Float = 2e-4, discriminatorLearningRate: Float? = nil,
        beta1: Float = 0.5, beta2: Float = 0.999
    ) {
        self.generator = generator
        self.discriminator = discriminator
        generatorOptimizer = Adam(parameterCount: generator.store.parameterCount, learningRate: learningRate, beta1: beta1, beta2: beta2)
        discriminatorOptimizer = Adam(
            parameterCount: discriminator.store.parameterCount, learningRate: discriminatorLearningRate ?? learningRate,
            beta1: beta1, beta2: beta2)
    }

    /// Runs one iteration on real images [N, S, S, 1] with `labels`, latents z [M, latent] with `fakeLabels`.
    @discardableResult
    public func run(real: Tensor, labels: [Int], z: Tensor, fakeLabels: [Int]) -> Losses {
        let g = generator, d = discriminator
        let fake = g.forward(z: z, labels: fakeLabels, mode: .training)

        d.store.zeroGradients()
        spectralNorm?.normalize()
        let realInput = augment?.forward(real, slot: 0, rng: &rng) ?? real
        let fakeInput = augment?.forward(fake, slot: 1, rng: &rng) ?? fake
        let realScores = d.forward(realInput, labels: labels, mode: .training, slot: 0)
        let fakeScores = d.forward(fakeInput, labels: fakeLabels, mode: .training, slot: 1)
        let dr = reuse(&dReal, [labels.count]), df = reuse(&dFake, [fakeLabels.count])
        var dLoss = LossKernel.hingeDiscriminator(
            real: realScores.data, realCount: labels.count, fake: fakeScores.data,
            fakeCount: fakeLabels.count, dReal: dr.data, dFake: df.data)
        if lecam != nil {
            lecam!.updateAnchors(real: realScores.data, realCount: labels.count, fake: fakeScores.data, fakeCount: fakeLabels.count)
            dLoss += lecam!.addPenalty(
                real: realScores.data, realCount: labels.count, fake: fakeScores.data, fakeCount: fakeLabels.count,
                dReal: dr.data, dFake: df.data)
        }
        d.backward(dr, slot: 0, inputGradient: false)
        d.backward(df, slot: 1, inputGradient: false)
        spectralNorm?.restore(transformingGradients: true)
        discriminatorOptimizer.update(d.store)
        // The G step sees the just-updated D, normalized again (PyTorch recomputes W/σ at every forward).
        spectralNorm?.normalize()
        defer { spectralNorm?.restore(transformingGradients: false) }

        g.store.zeroGradients()
        let generatorInput = augment?.forward(fake, slot: 2, rng: &rng) ?? fake
        let scores = d.forward(generatorInput, labels: fakeLabels, mode: .training, slot: 2)
        let ds = reuse(&dScores, [fakeLabels.count])
        let gLoss = LossKernel.hingeGenerator(fake: scores.data, count: fakeLabels.count, dFake: ds.data)
        let dImage = d.backward(ds, slot: 2, parameterGradients: false)!
        let dFakeImage = augment?.backward(dImage, slot: 2) ?? dImage
        var generatorLoss = gLoss
        if modeSeekingWeight > 0 { generatorLoss += addModeSeeking(fake: fake, z: z, labels: fakeLabels, into: dFakeImage) }
        g.backward(dFakeImage)
        generatorOptimizer.update(g.store)
        return Losses(discriminator: dLoss, generator: generatorLoss)
    }

    /// Adds λ·dL_ms/d(fake) to `gradient` (the hinge loss's gradient with respect to the un-augmented fake
    /// images: the term is on G's output, as in MSGAN) and returns λ·L_ms.
    private func addModeSeeking(fake: Tensor, z: Tensor, labels: [Int], into gradient: Tensor) -> Float {
        let n = labels.count, pairs = n / 2
        precondition(
            n % 2 == 0 && (0..<pairs).allSatisfy { labels[$0] == labels[pairs + $0] },
            "GANTrainingStep: mode seeking pairs image i with image N/2 + i, which must share its label")
        let loss = ModeSeekingKernel.forward(
            images: fake.data, imageSize: fake.count / n, latents: z.data, latentSize: z.count / n, pairs: pairs,
            scale: modeSeekingWeight, accumulatingInto: gradient.data)
        return modeSeekingWeight * loss
    }

    /// Floating-point operations of one iteration per image: forward = 2·MACs, a backward with parameter
    /// and input gradients = two forwards, the frozen D of the G step = one. This gives 0.572 GFLOP per
    /// image, where PyTorch's FlopCounterMode counts 0.569 for the same iteration (bench/torch_models.py):
    /// it, like our engine, skips the D-step image gradients this formula still counts.
    public var flopsPerImage: Double {
        let gm = Double(generator.macsPerImage), dm = Double(discriminator.macsPerImage)
        return 2 * (3 * gm + dm * (3 + 2 * 2 + 1))
    }
}
