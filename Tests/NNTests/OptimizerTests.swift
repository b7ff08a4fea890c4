// Optimizers and training utilities against their definitions (torch.optim semantics), step by step.
import CohortTestSupport
import NN
import Tensor
import Testing

@Suite struct OptimizerTests {
    /// A store with one parameter vector holding `values`, gradients set to `gradients`.
    func store(_ values: [Float], gradients: [Float]) -> ParameterStore {
        let store = ParameterStore()
        _ = store.register("w", shape: [values.count], initial: values)
        store.finalize()
        for (i, g) in gradients.enumerated() { store.gradients[i] = g }
        return store
    }

    @Test func adamFirstStepsMatchTheFormula() {
        let s = store([1, -2], gradients: [0.5, -0.25])
        let adam = Adam(parameterCount: 2, learningRate: 0.1, beta1: 0.9, beta2: 0.999)
        var m = [0.0, 0.0], v = [0.0, 0.0], w = [1.0, -2.0]
        for step in 1...3 {
            adam.update(s)
            for i in 0..<2 {
                let g = Double(s.gradients[i])
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(step))), vHat = v[i] / (1 - pow(0.999, Double(step)))
                w[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
                #expect(abs(Double(s.values[i]) - w[i]) < 1e-6, "step \(step) element \(i)")
            }
        }
    }

    @Test func adamWDecaysDecoupled() {
        // Zero gradient: AdamW only shrinks weights by (1 − lr·wd); Adam with L2 would move them by lr·sign.
        let s = store([2, -4], gradients: [0, 0])
        let adamW = Adam.adamW(parameterCount: 2, learningRate: 0.1, weightDecay: 0.5)
        adamW.update(s)
        #expect(abs(s.values[0] - 2 * 0.95) < 1e-6 && abs(s.values[1] + 4 * 0.95) < 1e-6)
    }

    @Test func sgdMomentumAndNesterov() {
        // torch.optim.SGD: buf₁ = g, buf = μ·buf + g; plain: w −= lr·buf; Nesterov: w −= lr·(g + μ·buf).
        for nesterov in [false, true] {
            let s = store([1], gradients: [0.5])
            let sgd = SGD(parameterCount: 1, learningRate: 0.1, momentum: 0.9, nesterov: nesterov)
            var buffer = 0.0, w = 1.0
            for step in 0..<3 {
                sgd.update(s)
                buffer = step == 0 ? 0.5 : 0.9 * buffer + 0.5
                w -= 0.1 * (nesterov ? 0.5 + 0.9 * buffer : buffer)
                #expect(abs(Double(s.values[0]) - w) < 1e-6, "nesterov \(nesterov) step \(step)")
            }
        }
        let decayed = store([2], gradients: [0])
        SGD(parameterCount: 1, learningRate: 0.1, weightDecay: 0.5).update(decayed)
        #expect(abs(decayed.values[0] - (2 - 0.1 * 0.5 * 2)) < 1e-6)
    }

    @Test func warmupCosineSchedule() {
        let schedule = WarmupCosineSchedule(base: 1, minimum: 0.1, warmupSteps: 4, totalSteps: 14)
        #expect(schedule.rate(at: 0) == 0.25)
        #expect(schedule.rate(at: 3) == 1)
        #expect(abs(schedule.rate(at: 9) - 0.55) < 1e-6)  // halfway through the cosine
        #expect(abs(schedule.rate(at: 14) - 0.1) < 1e-6)
        #expect(abs(schedule.rate(at: 100) - 0.1) < 1e-6)
    }

    @Test func globalNormClipping() {
        let s = store([0, 0], gradients: [3, 4])
        let norm = GradientClipping.clipGlobalNorm(s, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(s.gradients[0] - 0.6) < 1e-5 && abs(s.gradients[1] - 0.8) < 1e-5)
        let small = store([0], gradients: [0.5])
        GradientClipping.clipGlobalNorm(small, maxNorm: 1)
        #expect(small.gradients[0] == 0.5)
    }

    @Test func exponentialMovingAverage() {
        let s = store([0], gradients: [0])
        let ema = ExponentialMovingAverage(copying: s, decay: 0.9)
        s.values[0] = 1
        ema.update(from: s)
        #expect(abs(ema.values[0] - 0.1) < 1e-7)
        ema.swap(with: s)
        #expect(abs(s.values[0] - 0.1) < 1e-7 && ema.values[0] == 1)
    }

    @Test func movingAverageWarmsUp() {
        let s = store([0], gradients: [0])
        let ema = ExponentialMovingAverage(copying: s, decay: 0.999)
        #expect(abs(ema.decay(atStep: 0) - 0.1) < 1e-7, "the first update keeps only 10% of the initialization")
        #expect(abs(ema.decay(atStep: 90) - 0.91) < 1e-6)
        #expect(ema.decay(atStep: 100_000) == 0.999, "the configured decay once warmed up")
        s.values[0] = 1
        for step in 0..<100 { ema.update(from: s, step: step) }
        // Product of the decays (1+t)/(10+t) for t < 100 = 9!·100!/109!, under 1e-11 of the start remains.
        #expect(abs(ema.values[0] - 1) < 1e-6, "after 100 steps the average has left the initialization")
    }

    @Test func initializersFollowPyTorchAndDCGAN() {
        var rng = RandomGenerator(seed: 5)
        let store = ParameterStore()
        let conv = Conv2D("c", store: store, workspace: Workspace(), inChannels: 16, outChannels: 32, kernel: 3, rng: &rng)
        let dcgan = Conv2D("d", store: store, workspace: Workspace(), inChannels: 16, outChannels: 32, kernel: 3, initializer: .dcgan, rng: &rng)
        store.finalize()
        let bound = 1 / Float(16 * 9).squareRoot()
        let weights = store.values(named: "c.weight")!
        #expect(weights.allSatisfy { abs($0) <= bound } && weights.contains { abs($0) > 0.9 * bound })
        let normal = store.values(named: "d.weight")!.map(Double.init)
        let mean = normal.reduce(0, +) / Double(normal.count)
        let std = (normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count)).squareRoot()
        #expect(abs(mean) < 0.003 && abs(std - 0.02) < 0.002, "DCGAN init mean \(mean) std \(std)")
        _ = conv
        _ = dcgan
    }
}

#if canImport(Glibc)
    import Glibc
#endif
