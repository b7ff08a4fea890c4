// Class-conditional batch norm: finite differences of x, γ and β (per-class rows), PyTorch parity
// (Tests/Fixtures/ops.safetensors: bench/torch_models.py's ConditionalBatchNorm2d + ReLU, train mode),
// and the identity start (γ = 1, β = 0 equals a plain batch norm without affine).
import CohortTestSupport
import Kernels
import NN
import Tensor
import Testing

/// A ConditionalBatchNorm with fixed labels, as a Layer for the shared gradient-check driver.
final class LabelledConditionalBatchNorm: Layer {
    let norm: ConditionalBatchNorm
    let labels: [Int]
    init(_ norm: ConditionalBatchNorm, labels: [Int]) { self.norm = norm; self.labels = labels }
    func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor { norm.forward(x, labels: labels, mode: mode, slot: slot) }
    func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        norm.backward(dy, slot: slot, parameterGradients: parameterGradients)
    }
}

@Suite struct ConditionalBatchNormTests {
    static func layer(channels: Int = 4, classes: Int = 3, activation: Activation = .identity, labels: [Int]) -> (
        ParameterStore, LabelledConditionalBatchNorm
    ) {
        let store = ParameterStore()
        let norm = ConditionalBatchNorm("cbn", store: store, channels: channels, classes: classes, activation: activation)
        store.finalize()
        // Non-trivial tables, so a row mix-up or a missing γ in the backward shows.
        var rng = RandomGenerator(seed: 8)
        for i in 0..<(classes * channels) {
            store.value(norm.gamma)[i] = 1 + 0.4 * rng.uniform(-1, 1)
            store.value(norm.beta)[i] = 0.3 * rng.uniform(-1, 1)
        }
        return (store, LabelledConditionalBatchNorm(norm, labels: labels))
    }

    @Test func gradientsOfInputAndPerClassTables() {
        // Class 1 is absent from the batch: its rows must get exactly zero gradient.
        let (store, layer) = Self.layer(labels: [2, 0, 2, 0, 2])
        checkGradients("cbn", layer: layer, store: store, input: randomTensor([5, 3, 3, 4], seed: 21))
        let gammaGrad = store.gradients(named: "cbn.gamma.weight")!, betaGrad = store.gradients(named: "cbn.beta.weight")!
        #expect(gammaGrad[4..<8].allSatisfy { $0 == 0 } && betaGrad[4..<8].allSatisfy { $0 == 0 })
    }

    @Test func gradientsInInferenceMode() {
        let (store, layer) = Self.layer(labels: [1, 0, 2])
        _ = layer.forward(randomTensor([3, 2, 2, 4], seed: 22), mode: .training)  // running statistics to normalize with
        checkGradients("cbn inference", layer: layer, store: store, input: randomTensor([3, 2, 2, 4], seed: 23), mode: .inference)
    }

    @Test func matchesPyTorch() throws {
        let file = try Fixtures.load("ops.safetensors")
        let name = "conditional_batchnorm2d_train"
        let labels = file["\(name).labels"]!.integers.map { Int($0) }
        let (store, layer) = Self.layer(channels: 4, classes: 3, activation: .relu, labels: labels)
        setParameter(store, "cbn.gamma.weight", from: file, "\(name).p.gamma.weight")
        setParameter(store, "cbn.beta.weight", from: file, "\(name).p.beta.weight")
        var log: [String] = []
        let y = layer.forward(file.tensor("\(name).x"), mode: .training)
        expectMatches(pytorchOrder(y), file, "\(name).y", log: &log)
        store.zeroGradients()
        let dx = layer.backward(file.tensor("\(name).gy"))
        expectMatches(pytorchOrder(dx), file, "\(name).gx", log: &log)
        expectMatches(store.gradients(named: "cbn.gamma.weight")!, file, "\(name).g.gamma.weight", log: &log)
        expectMatches(store.gradients(named: "cbn.beta.weight")!, file, "\(name).g.beta.weight", log: &log)
        expectMatches(store.values(named: "cbn.bn.running_mean")!, file, "\(name).b.running_mean", log: &log)
        expectMatches(store.values(named: "cbn.bn.running_var")!, file, "\(name).b.running_var", log: &log)
        print("fixture \(name): " + log.joined(separator: ", "))
    }

    /// Freshly made (γ = 1, β = 0), it is exactly a batch norm whose own affine is the identity.
    @Test func startsAsAPlainBatchNorm() {
        let store = ParameterStore()
        let norm = ConditionalBatchNorm("cbn", store: store, channels: 4, classes: 3, activation: .relu)
        var rng = RandomGenerator(seed: 1)
        let plain = BatchNorm("bn", store: store, channels: 4, activation: .relu, initializer: .pytorchDefault, rng: &rng)
        store.finalize()
        let x = randomTensor([4, 3, 3, 4], seed: 24)
        let a = norm.forward(x, labels: [0, 1, 2, 1], mode: .training, slot: 0).array
        let b = plain.forward(x, mode: .training, slot: 0).array
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 })
    }
}
