// Finite-difference checks of every layer and loss on small odd shapes, stride 2, padding, groups.
import CohortTestSupport
import Kernels
import NN
import Tensor
import Testing

@Suite struct GradientCheckTests {
    func conv(_ cin: Int, _ cout: Int, kernel: Int, stride: Int, padding: Int, groups: Int = 1, bias: Bool) -> (ParameterStore, Conv2D) {
        var rng = RandomGenerator(seed: 1)
        let store = ParameterStore()
        let layer = Conv2D(
            "conv", store: store, workspace: Workspace(), inChannels: cin, outChannels: cout, kernel: kernel,
            stride: stride, padding: padding, groups: groups, bias: bias, rng: &rng)
        store.finalize()
        return (store, layer)
    }

    @Test func conv2DStride1Padding1Bias() {
        let (store, layer) = conv(3, 4, kernel: 3, stride: 1, padding: 1, bias: true)
        checkGradients("conv k3 s1 p1", layer: layer, store: store, input: randomTensor([2, 7, 5, 3], seed: 2))
    }

    @Test func conv2DStride2Kernel4NoBias() {
        let (store, layer) = conv(4, 6, kernel: 4, stride: 2, padding: 1, bias: false)
        checkGradients("conv k4 s2 p1", layer: layer, store: store, input: randomTensor([2, 9, 8, 4], seed: 3))
    }

    @Test func conv2DGroups() {
        let (store, layer) = conv(4, 6, kernel: 3, stride: 1, padding: 1, groups: 2, bias: true)
        checkGradients("conv groups 2", layer: layer, store: store, input: randomTensor([2, 5, 6, 4], seed: 4))
    }

    @Test func conv2DDepthwiseStride2() {
        let (store, layer) = conv(5, 5, kernel: 3, stride: 2, padding: 1, groups: 5, bias: true)
        checkGradients("depthwise s2", layer: layer, store: store, input: randomTensor([3, 9, 7, 5], seed: 5))
    }

    @Test func conv2DPointwise() {
        let (store, layer) = conv(6, 3, kernel: 1, stride: 1, padding: 0, bias: true)
        checkGradients("conv 1x1", layer: layer, store: store, input: randomTensor([2, 5, 4, 6], seed: 6))
    }

    @Test(arguments: [false, true])
    func convTranspose2D(bias: Bool) {
        var rng = RandomGenerator(seed: 7)
        let store = ParameterStore()
        let layer = ConvTranspose2D(
            "up", store: store, workspace: Workspace(), inChannels: 4, outChannels: 3, kernel: 4,
            stride: 2, padding: 1, bias: bias, rng: &rng)
        store.finalize()
        checkGradients("convT k4 s2 p1", layer: layer, store: store, input: randomTensor([2, 5, 3, 4], seed: 8))
    }

    @Test(arguments: [false, true])
    func linear(bias: Bool) {
        var rng = RandomGenerator(seed: 9)
        let store = ParameterStore()
        let layer = Linear("fc", store: store, inFeatures: 7, outFeatures: 5, bias: bias, rng: &rng)
        store.finalize()
        checkGradients("linear", layer: layer, store: store, input: randomTensor([3, 7], seed: 10))
    }

    @Test(arguments: [Activation.identity, .relu, .leakyReLU(0.2), .silu])
    func batchNormTrainingWithFusedActivation(activation: Activation) {
        var rng = RandomGenerator(seed: 11)
        let store = ParameterStore()
        let layer = BatchNorm("bn", store: store, channels: 4, activation: activation, rng: &rng)
        store.finalize()
        // Non-trivial scale and shift so the fused activation sees both signs.
        for i in 0..<4 {
            store.values(named: "bn.weight").map { _ in () }
            store.value(layer.weight)[i] = 0.5 + Float(i) * 0.3
            store.value(layer.bias)[i] = Float(i) * 0.2 - 0.3
        }
        checkGradients(
            "batchnorm2d \(activation)", layer: layer, store: store, input: randomTensor([3, 3, 5, 4], seed: 12, low: -2, high: 2),
            tolerance: 3e-2, step: 3e-3)
    }

    @Test func batchNorm1DAndInference() {
        var rng = RandomGenerator(seed: 13)
        let store = ParameterStore()
        let layer = BatchNorm("bn", store: store, channels: 5, rng: &rng)
        store.finalize()
        checkGradients("batchnorm1d", layer: layer, store: store, input: randomTensor([6, 5], seed: 14), tolerance: 3e-2, step: 3e-3)
        for i in 0..<5 {
            store.value(layer.runningMean)[i] = Float(i) * 0.1
            store.value(layer.runningVar)[i] = 0.5 + Float(i) * 0.2
        }
        checkGradients("batchnorm eval", layer: layer, store: store, input: randomTensor([6, 5], seed: 15), mode: .inference)
    }

    @Test(arguments: [Activation.relu, .leakyReLU(0.2), .silu, .sigmoid, .tanh])
    func activations(activation: Activation) {
        let store = ParameterStore()
        store.finalize()
        // Keep inputs away from the kinks of ReLU/LeakyReLU.
        let x = randomTensor([2, 3, 4, 5], seed: 16)
        for i in 0..<x.count where abs(x[i]) < 0.05 { x[i] += 0.1 }
        checkGradients("\(activation)", layer: ActivationLayer(activation), store: store, input: x)
    }

    @Test func dropoutMaskAndScale() {
        let layer = Dropout(probability: 0.25, seed: 3)
        let x = Tensor(shape: [1000], values: [Float](repeating: 1, count: 1000))
        let y = layer.forward(x, mode: .training)
        let kept = y.array.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        #expect(abs(Double(kept.count) / 1000 - 0.75) < 0.05)
        let dx = layer.backward(Tensor(shape: [1000], values: [Float](repeating: 2, count: 1000)))
        #expect(zip(dx.array, y.array).allSatisfy { ($0 == 0) == ($1 == 0) })
        #expect(layer.forward(x, mode: .inference).array == x.array)
    }

    @Test func globalAveragePool() {
        let store = ParameterStore()
        store.finalize()
        checkGradients("avgpool", layer: GlobalAveragePool(), store: store, input: randomTensor([2, 3, 5, 6], seed: 17))
    }

    @Test func squeezeExcitation() {
        var rng = RandomGenerator(seed: 18)
        let store = ParameterStore()
        let layer = SqueezeExcitation("se", store: store, channels: 8, reduced: 2, rng: &rng)
        store.finalize()
        checkGradients("squeeze-excitation", layer: layer, store: store, input: randomTensor([2, 3, 5, 8], seed: 19))
    }

    @Test func embedding() {
        var rng = RandomGenerator(seed: 20)
        let store = ParameterStore()
        let table = Embedding("embed", store: store, rows: 4, dimension: 6, rng: &rng)
        store.finalize()
        let indices = [3, 0, 2, 2, 1]
        let r = randomTensor([5, 6], seed: 21)
        store.zeroGradients()
        _ = table.forward(indices)
        table.backward(r)
        let report = GradientCheck.check("embedding", values: store.values.data, count: 24, analytic: store.gradients(named: "embed.weight")!) {
            GradientCheck.projection(table.forward(indices, slot: 1).data, r.array)
        }
        #expect(report.worstError < 1e-2, "\(report)")
    }

    @Test func crossEntropyWithSmoothingAndWeights() {
        let logits = randomTensor([5, 4], seed: 22, low: -2, high: 2)
        let targets = [0, 3, 1, 1, 2]
        let weights: [Float] = [1, 2, 0.5, 1.5]
        var grad = [Float](repeating: 0, count: 20)
        _ = LossKernel.crossEntropy(logits: logits.data, targets: targets, classes: 4, classWeights: weights, labelSmoothing: 0.1, dLogits: &grad)
        let report = GradientCheck.check("cross-entropy", values: logits.data, count: 20, analytic: grad, step: 1e-3) {
            Double(
                LossKernel.crossEntropy(logits: logits.data, targets: targets, classes: 4, classWeights: weights, labelSmoothing: 0.1, dLogits: nil))
        }
        #expect(report.worstError < 1e-2, "\(report)")
    }

    @Test func crossEntropyWithSampleWeights() {
        let logits = randomTensor([5, 4], seed: 24, low: -2, high: 2)
        let targets = [0, 3, 1, 1, 2]
        let weights: [Float] = [1, 2, 0.5, 1.5], samples: [Float] = [1, 0.5, 0.25, 1, 0.5]
        var grad = [Float](repeating: 0, count: 20)
        _ = LossKernel.crossEntropy(
            logits: logits.data, targets: targets, classes: 4, classWeights: weights, sampleWeights: samples,
            labelSmoothing: 0.1, dLogits: &grad)
        let report = GradientCheck.check("sample-weighted cross-entropy", values: logits.data, count: 20, analytic: grad, step: 1e-3) {
            Double(
                LossKernel.crossEntropy(
                    logits: logits.data, targets: targets, classes: 4, classWeights: weights, sampleWeights: samples,
                    labelSmoothing: 0.1, dLogits: nil))
        }
        #expect(report.worstError < 1e-2, "\(report)")
        // Weight 1 everywhere is the plain mean; a zero-weight row gets no gradient.
        let plain = LossKernel.crossEntropy(logits: logits.data, targets: targets, classes: 4, dLogits: nil)
        let ones = LossKernel.crossEntropy(logits: logits.data, targets: targets, classes: 4, sampleWeights: [1, 1, 1, 1, 1], dLogits: nil)
        #expect(abs(plain - ones) < 1e-7)
        var masked = [Float](repeating: 0, count: 20)
        _ = LossKernel.crossEntropy(logits: logits.data, targets: targets, classes: 4, sampleWeights: [1, 0, 1, 1, 1], dLogits: &masked)
        #expect(masked[4..<8].allSatisfy { $0 == 0 })
    }

    @Test func bceWithLogits() {
        let logits = randomTensor([6], seed: 23, low: -3, high: 3)
        let targets = Tensor(shape: [6], values: [0, 1, 1, 0, 1, 0])
        var grad = [Float](repeating: 0, count: 6)
        _ = LossKernel.bceWithLogits(logits: logits.data, targets: targets.data, count: 6, dLogits: &grad)
        let report = GradientCheck.check("bce", values: logits.data, count: 6, analytic: grad, step: 1e-3) {
            Double(LossKernel.bceWithLogits(logits: logits.data, targets: targets.data, count: 6, dLogits: nil))
        }
        #expect(report.worstError < 1e-2, "\(report)")
    }

    @Test func hingeLosses() {
        // Values on both sides of the hinges, none within the finite-difference step of a kink.
        let real = Tensor(shape: [5], values: [0.3, 1.7, -0.4, 0.9, 2.5])
        let fake = Tensor(shape: [5], values: [-1.8, -0.2, 0.6, -0.95, 1.2])
        var dReal = [Float](repeating: 0, count: 5), dFake = [Float](repeating: 0, count: 5)
        _ = LossKernel.hingeDiscriminator(real: real.data, realCount: 5, fake: fake.data, fakeCount: 5, dReal: &dReal, dFake: &dFake)
        let loss = { Double(LossKernel.hingeDiscriminator(real: real.data, realCount: 5, fake: fake.data, fakeCount: 5, dReal: nil, dFake: nil)) }
        #expect(GradientCheck.check("hinge D real", values: real.data, count: 5, analytic: dReal, step: 1e-3, loss: loss).worstError < 1e-2)
        #expect(GradientCheck.check("hinge D fake", values: fake.data, count: 5, analytic: dFake, step: 1e-3, loss: loss).worstError < 1e-2)
        var dG = [Float](repeating: 0, count: 5)
        _ = LossKernel.hingeGenerator(fake: fake.data, count: 5, dFake: &dG)
        let report = GradientCheck.check("hinge G", values: fake.data, count: 5, analytic: dG, step: 1e-3) {
            Double(LossKernel.hingeGenerator(fake: fake.data, count: 5, dFake: nil))
        }
        #expect(report.worstError < 1e-2, "\(report)")
    }

    @Test func frozenBackwardLeavesParameterGradientsUntouched() {
        let (store, layer) = conv(3, 4, kernel: 3, stride: 2, padding: 1, bias: true)
        let x = randomTensor([2, 5, 5, 3], seed: 24)
        let y = layer.forward(x, mode: .training)
        store.zeroGradients()
        let dx = layer.backward(randomTensor(y.shape, seed: 25), slot: 0, parameterGradients: false)
        #expect(store.gradients.array.allSatisfy { $0 == 0 })
        #expect(dx.array.contains { $0 != 0 })
    }
}
