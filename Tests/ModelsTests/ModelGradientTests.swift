// Finite differences through whole tiny models: the concatenation, NCHW-order flatten/unflatten,
// projection and embedding paths that exist only at model level, plus the layers in sequence.
import CohortTestSupport
import Foundation
import Kernels
import Models
import NN
import Tensor
import Testing

@Suite struct ModelGradientTests {
    /// Checks sampled parameters of `store` (all, or those named in `only`) against central differences of `loss`.
    func checkParameters(_ name: String, store: ParameterStore, analytic: [Float], only: Set<String>? = nil, loss: () -> Double) {
        for entry in store.entries where entry.kind == .parameter && (only?.contains(entry.name) ?? true) {
            let grads = Array(analytic[entry.offset..<(entry.offset + entry.count)])
            let report = GradientCheck.check(
                "\(name) \(entry.name)", values: store.values.data + entry.offset, count: entry.count,
                analytic: grads, step: 1e-3, samples: 6, loss: loss)
            #expect(report.worstError < 5e-2, "\(report)")
        }
    }

    static func tinyGenerator() -> Generator {
        Generator(.init(classes: 3, latentDimension: 5, embeddingDimension: 4, baseChannels: 8, imageSize: 16), seed: 1)
    }

    /// Central differences of `g`'s parameters named in `only` under a projection loss (fixed latents, labels
    /// and direction), against its backward pass.
    func checkGenerator(_ name: String, _ g: Generator, only: Set<String>) {
        var rng = RandomGenerator(seed: 3)
        let z = Tensor(shape: [6, 5])
        for i in 0..<z.count { z[i] = rng.normal() }
        let labels = [0, 2, 1, 2, 1, 0]
        let r = Tensor(shape: [6, 16, 16, 1])
        for i in 0..<r.count { r[i] = rng.uniform(-1, 1) }
        func loss() -> Double { GradientCheck.projection(g.forward(z: z, labels: labels, mode: .training, slot: 1).data, r.array) }
        g.store.zeroGradients()
        _ = g.forward(z: z, labels: labels, mode: .training)
        g.backward(r)
        checkParameters(name, store: g.store, analytic: g.store.gradients.array, only: only, loss: loss)
    }

    @Test func tinyGenerator() {
        // The model-level paths: latent ⊕ embedding concatenation, the Linear, and the NCHW-order
        // unflatten into the first up-block. The up-blocks' own weights are left out on purpose: behind
        // batch norm + ReLU at batch 6, their normalized outputs crowd the ReLU kink and central
        // differences stop being accurate (errors of ~0.2 at any step size); those layers have their
        // own finite-difference tests, and the full-size generator matches PyTorch's float64 gradients.
        checkGenerator("G", Self.tinyGenerator(), only: ["embed.weight", "fc.weight", "bn0.weight", "bn0.bias", "out.bias"])
    }

    /// The class-conditional variant against the plain generator, exactly (no finite differences, whose
    /// errors at ReLU kinks the note above describes): fresh tables (γ = 1, β = 0) make it the plain
    /// generator with identity batch-norm affines, so outputs and every shared gradient agree, and the
    /// per-class γ/β gradient rows sum to the plain batch norm's weight/bias gradients — with the rows of
    /// classes absent from the batch exactly zero.
    @Test func conditionalNormGeneratorAgreesWithThePlainOne() {
        let config = Generator.Configuration(classes: 3, latentDimension: 5, embeddingDimension: 4, baseChannels: 8, imageSize: 16)
        var conditionalConfig = config
        conditionalConfig.conditionalNorm = true
        let plain = Generator(config, seed: 1), conditional = Generator(conditionalConfig, seed: 1)
        for entry in plain.store.entries where entry.kind == .parameter {
            if entry.name.hasPrefix("blocks."), entry.name.hasSuffix(".weight") || entry.name.hasSuffix(".bias"),
                conditional.store.entry(named: entry.name) == nil
            {
                let value: Float = entry.name.hasSuffix(".weight") ? 1 : 0  // the plain norm's affine set to the identity
                (plain.store.values.data + entry.offset).update(repeating: value, count: entry.count)
            } else if let other = conditional.store.entry(named: entry.name) {
                (conditional.store.values.data + other.offset).update(from: plain.store.values.data + entry.offset, count: entry.count)
            }
        }
        var rng = RandomGenerator(seed: 3)
        let z = Tensor(shape: [6, 5])
        for i in 0..<z.count { z[i] = rng.normal() }
        let labels = [0, 2, 0, 2, 2, 0]
        let r = Tensor(shape: [6, 16, 16, 1])
        for i in 0..<r.count { r[i] = rng.uniform(-1, 1) }
        plain.store.zeroGradients()
        conditional.store.zeroGradients()
        let a = plain.forward(z: z, labels: labels, mode: .training).array
        let b = conditional.forward(z: z, labels: labels, mode: .training).array
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 }, "same image from both")
        plain.backward(r)
        conditional.backward(r)
        func close(_ x: [Float], _ y: [Float]) -> Bool {
            let scale = max(y.map(abs).max() ?? 0, 1e-6)
            return x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 1e-4 * scale }
        }
        for entry in plain.store.entries where entry.kind == .parameter {
            let grad = plain.store.gradients(named: entry.name)!
            if let shared = conditional.store.gradients(named: entry.name) {
                #expect(close(shared, grad), "\(entry.name)")
                continue
            }
            let block = entry.name.split(separator: ".").prefix(2).joined(separator: ".")
            let table = conditional.store.gradients(named: "\(block).\(entry.name.hasSuffix(".weight") ? "gamma" : "beta").weight")!
            let channels = grad.count
            #expect(table[channels..<(2 * channels)].allSatisfy { $0 == 0 }, "\(block): class 1 is not in the batch")
            let summed = (0..<channels).map { ch in (0..<3).reduce(Float(0)) { $0 + table[$1 * channels + ch] } }
            #expect(close(summed, grad), "\(block): per-class rows sum to the plain norm's \(entry.name) gradient")
        }
    }

    static let discriminatorLabels = [0, 2, 1, 2]

    /// Four fixed random 16 px images in [-1, 1].
    static func discriminatorInput() -> Tensor {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor(shape: [4, 16, 16, 1])
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        return x
    }

    /// Central differences of every parameter of `d` under the mean score, against its backward pass.
    func checkDiscriminator(_ name: String, _ d: Discriminator) {
        let x = Self.discriminatorInput(), labels = Self.discriminatorLabels
        func loss() -> Double { d.forward(x, labels: labels, mode: .training, slot: 1).array.reduce(0.0) { $0 + Double($1) } / 4 }
        d.store.zeroGradients()
        _ = d.forward(x, labels: labels, mode: .training)
        _ = d.backward(Tensor(shape: [4], values: [0.25, 0.25, 0.25, 0.25]), parameterGradients: true)
        checkParameters(name, store: d.store, analytic: d.store.gradients.array, loss: loss)
    }

    @Test func tinyDiscriminatorAlone() {
        checkDiscriminator("D alone", Discriminator(.init(classes: 3, baseChannels: 4, imageSize: 16), seed: 2))
    }

    /// Transitional conditioning's λ: D's score is Linear(f) + λ·projection, so it is linear in λ between the
    /// unconditional (λ = 0) and the projection discriminator (λ = 1); gradients at an interior λ match
    /// central differences. G at λ = 0 ignores the class; at λ = 0.37 its class path's gradients match too.
    @Test func conditioningWeightScalesTheClassPaths() {
        let d = Discriminator(.init(classes: 3, baseChannels: 4, imageSize: 16), seed: 2)
        let x = Self.discriminatorInput()
        func scores(_ lambda: Float) -> [Float] {
            d.conditioningWeight = lambda
            return d.forward(x, labels: Self.discriminatorLabels, mode: .training, slot: 1).array
        }
        let (unconditional, full, partial) = (scores(0), scores(1), scores(0.37))
        for i in 0..<4 {
            #expect(abs(partial[i] - (unconditional[i] + 0.37 * (full[i] - unconditional[i]))) < 1e-4 * max(1, abs(full[i])), "score \(i)")
        }
        #expect(unconditional != full, "the projection term contributes at λ = 1")
        d.conditioningWeight = 0.37
        checkDiscriminator("D at λ = 0.37", d)

        var rng = RandomGenerator(seed: 4)
        let g = Self.tinyGenerator()
        let z = Tensor(shape: [6, 5])
        for i in 0..<z.count { z[i] = rng.normal() }
        g.conditioningWeight = 0
        let a = g.forward(z: z, labels: [0, 0, 0, 0, 0, 0], mode: .training).array
        let b = g.forward(z: z, labels: [1, 2, 1, 2, 1, 2], mode: .training).array
        #expect(a == b, "an unconditional generator gives the same images whatever the labels")
        g.conditioningWeight = 0.37
        checkGenerator("G at λ = 0.37", g, only: ["embed.weight", "fc.weight"])
    }

    @Test func tinyClassifier() {
        let stages = [
            Classifier.Stage(fused: true, expansion: 1, channels: 8, stride: 1, blocks: 1),
            Classifier.Stage(fused: true, expansion: 2, channels: 8, stride: 2, blocks: 2),
            Classifier.Stage(fused: false, expansion: 2, channels: 12, stride: 2, blocks: 2)
        ]
        let model = Classifier(.init(classes: 3, stemChannels: 8, stages: stages, headChannels: 16, dropout: 0), seed: 4)
        var rng = RandomGenerator(seed: 5)
        let images = Tensor(shape: [3, 16, 16, 1])
        for i in 0..<images.count { images[i] = rng.uniform(-1, 1) }
        let labels = [2, 0, 1]
        func loss() -> Double {
            let logits = model.forward(images, mode: .training, slot: 1)
            return Double(LossKernel.crossEntropy(logits: logits.data, targets: labels, classes: 3, labelSmoothing: 0.1, dLogits: nil))
        }
        model.store.zeroGradients()
        let logits = model.forward(images, mode: .training)
        let dLogits = Tensor(shape: logits.shape)
        _ = LossKernel.crossEntropy(logits: logits.data, targets: labels, classes: 3, labelSmoothing: 0.1, dLogits: dLogits.data)
        model.backward(dLogits)
        checkParameters("classifier", store: model.store, analytic: model.store.gradients.array, loss: loss)
    }
}
