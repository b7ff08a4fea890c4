// Every op against PyTorch (Tests/Fixtures/ops.safetensors): outputs, input gradients, parameter
// gradients and running statistics within 1e-4 of PyTorch's, relative to each tensor's scale.
import CohortTestSupport
import Kernels
import NN
import Tensor
import Testing

@Suite struct OpFixtureTests {
    let file: SafeTensorsFile

    init() throws { file = try Fixtures.load("ops.safetensors") }

    /// Runs forward and backward of `layer` on case `name` and compares everything the fixture has.
    func run(_ name: String, layer: Layer, store: ParameterStore, mode: Mode = .training, parameters: [String] = []) {
        // Store names carry the layer's prefix ("conv.weight"); fixture names do not ("weight").
        func local(_ p: String) -> String { String(p.split(separator: ".", maxSplits: 1)[1]) }
        for p in parameters { setParameter(store, p, from: file, "\(name).p.\(local(p))") }
        if mode == .inference {
            for buffer in ["running_mean", "running_var"] where file["\(name).b.\(buffer)"] != nil {
                setParameter(store, "bn.\(buffer)", from: file, "\(name).b.\(buffer)")
            }
        }
        var log: [String] = []
        let y = layer.forward(file.tensor("\(name).x"), mode: mode)
        expectMatches(pytorchOrder(y), file, "\(name).y", log: &log)
        store.zeroGradients()
        let dx = layer.backward(file.tensor("\(name).gy"))
        expectMatches(pytorchOrder(dx), file, "\(name).gx", log: &log)
        for p in parameters {
            let entry = store.entry(named: p)!
            if entry.kind == .parameter { expectMatches(store.gradients(named: p)!, file, "\(name).g.\(local(p))", log: &log) }
        }
        if mode == .training, file["\(name).b.running_mean"] != nil {
            expectMatches(store.values(named: "bn.running_mean")!, file, "\(name).b.running_mean", log: &log)
            expectMatches(store.values(named: "bn.running_var")!, file, "\(name).b.running_var", log: &log)
        }
        print("fixture \(name): " + log.joined(separator: ", "))
    }

    func conv(_ name: String, cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int, groups: Int = 1, bias: Bool) {
        var rng = RandomGenerator(seed: 0)
        let store = ParameterStore()
        let layer = Conv2D(
            "conv", store: store, workspace: Workspace(), inChannels: cin, outChannels: cout, kernel: kernel,
            stride: stride, padding: padding, groups: groups, bias: bias, rng: &rng)
        store.finalize()
        run(name, layer: layer, store: store, parameters: ["conv.weight"] + (bias ? ["conv.bias"] : []))
    }

    @Test func conv2D() {
        conv("conv2d_k3_s1_p1_bias", cin: 3, cout: 4, kernel: 3, stride: 1, padding: 1, bias: true)
        conv("conv2d_k4_s2_p1_nobias", cin: 4, cout: 6, kernel: 4, stride: 2, padding: 1, bias: false)
        conv("conv2d_k3_groups2", cin: 4, cout: 6, kernel: 3, stride: 1, padding: 1, groups: 2, bias: true)
        conv("conv2d_depthwise_k3_s2", cin: 5, cout: 5, kernel: 3, stride: 2, padding: 1, groups: 5, bias: false)
        conv("conv2d_k1_bias", cin: 6, cout: 3, kernel: 1, stride: 1, padding: 0, bias: true)
    }

    @Test func convTranspose2D() {
        for (name, cin, cout, bias) in [("conv_transpose2d_k4_s2_p1", 4, 3, false), ("conv_transpose2d_k4_s2_p1_bias", 3, 2, true)] {
            var rng = RandomGenerator(seed: 0)
            let store = ParameterStore()
            let layer = ConvTranspose2D(
                "conv", store: store, workspace: Workspace(), inChannels: cin, outChannels: cout,
                kernel: 4, stride: 2, padding: 1, bias: bias, rng: &rng)
            store.finalize()
            run(name, layer: layer, store: store, parameters: ["conv.weight"] + (bias ? ["conv.bias"] : []))
        }
    }

    @Test func linear() {
        for (name, bias) in [("linear_bias", true), ("linear_nobias", false)] {
            var rng = RandomGenerator(seed: 0)
            let store = ParameterStore()
            let layer = Linear("fc", store: store, inFeatures: 7, outFeatures: 5, bias: bias, rng: &rng)
            store.finalize()
            run(name, layer: layer, store: store, parameters: ["fc.weight"] + (bias ? ["fc.bias"] : []))
        }
    }

    @Test func batchNorm() {
        for (name, channels, mode) in [
            ("batchnorm1d_train", 5, Mode.training), ("batchnorm2d_train", 4, .training), ("batchnorm2d_eval", 4, .inference)
        ] {
            var rng = RandomGenerator(seed: 0)
            let store = ParameterStore()
            let layer = BatchNorm("bn", store: store, channels: channels, rng: &rng)
            store.finalize()
            run(name, layer: layer, store: store, mode: mode, parameters: ["bn.weight", "bn.bias"])
        }
    }

    @Test func activations() {
        let store = ParameterStore()
        store.finalize()
        for (name, activation) in [
            ("relu", Activation.relu), ("leaky_relu_0.2", .leakyReLU(0.2)), ("silu", .silu), ("sigmoid", .sigmoid), ("tanh", .tanh)
        ] {
            run(name, layer: ActivationLayer(activation), store: store)
        }
    }

    @Test func globalAveragePoolAndSqueezeExcitation() {
        let empty = ParameterStore()
        empty.finalize()
        run("global_avg_pool", layer: GlobalAveragePool(), store: empty)
        var rng = RandomGenerator(seed: 0)
        let store = ParameterStore()
        let se = SqueezeExcitation("se", store: store, channels: 8, reduced: 2, rng: &rng)
        store.finalize()
        for p in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] { setParameter(store, "se.\(p)", from: file, "squeeze_excitation.p.\(p)") }
        var log: [String] = []
        let y = se.forward(file.tensor("squeeze_excitation.x"), mode: .training)
        expectMatches(pytorchOrder(y), file, "squeeze_excitation.y", log: &log)
        store.zeroGradients()
        expectMatches(pytorchOrder(se.backward(file.tensor("squeeze_excitation.gy"))), file, "squeeze_excitation.gx", log: &log)
        for p in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
            expectMatches(store.gradients(named: "se.\(p)")!, file, "squeeze_excitation.g.\(p)", log: &log)
        }
        print("fixture squeeze_excitation: " + log.joined(separator: ", "))
    }

    @Test func embedding() {
        var rng = RandomGenerator(seed: 0)
        let store = ParameterStore()
        let table = Embedding("embed", store: store, rows: 4, dimension: 6, rng: &rng)
        store.finalize()
        setParameter(store, "embed.weight", from: file, "embedding.p.weight")
        let indices = file["embedding.x"]!.integers.map { Int($0) }
        var log: [String] = []
        expectMatches(table.forward(indices).array, file, "embedding.y", log: &log)
        store.zeroGradients()
        table.backward(file.tensor("embedding.gy"))
        expectMatches(store.gradients(named: "embed.weight")!, file, "embedding.g.weight", log: &log)
    }

    @Test func losses() {
        var log: [String] = []
        for (name, weighted) in [("cross_entropy_plain", false), ("cross_entropy_smooth_weighted", true)] {
            let logits = file.floats("\(name).x")
            let targets = file["\(name).t"]!.integers.map { Int($0) }
            var grad = [Float](repeating: 0, count: logits.count)
            let loss = LossKernel.crossEntropy(
                logits: logits, targets: targets, classes: 4, classWeights: weighted ? file.floats("\(name).w") : nil,
                labelSmoothing: weighted ? 0.1 : 0, dLogits: &grad)
            expectMatches([loss], file, "\(name).y", log: &log)
            expectMatches(grad, file, "\(name).gx", log: &log)
        }
        var weightedGrad = [Float](repeating: 0, count: 24)
        let weighted = LossKernel.crossEntropy(
            logits: file.floats("cross_entropy_sample_weighted.x"),
            targets: file["cross_entropy_sample_weighted.t"]!.integers.map { Int($0) }, classes: 4,
            classWeights: file.floats("cross_entropy_sample_weighted.w"),
            sampleWeights: file.floats("cross_entropy_sample_weighted.s"), labelSmoothing: 0.1, dLogits: &weightedGrad)
        expectMatches([weighted], file, "cross_entropy_sample_weighted.y", log: &log)
        expectMatches(weightedGrad, file, "cross_entropy_sample_weighted.gx", log: &log)
        var grad = [Float](repeating: 0, count: 6)
        let bce = LossKernel.bceWithLogits(
            logits: file.floats("bce_with_logits.x"), targets: file.floats("bce_with_logits.t"), count: 6, dLogits: &grad)
        expectMatches([bce], file, "bce_with_logits.y", log: &log)
        expectMatches(grad, file, "bce_with_logits.gx", log: &log)
        var dr = [Float](repeating: 0, count: 5), df = [Float](repeating: 0, count: 5)
        let hd = LossKernel.hingeDiscriminator(
            real: file.floats("hinge_d.xr"), realCount: 5, fake: file.floats("hinge_d.xf"), fakeCount: 5, dReal: &dr, dFake: &df)
        expectMatches([hd], file, "hinge_d.y", log: &log)
        expectMatches(dr, file, "hinge_d.gxr", log: &log)
        expectMatches(df, file, "hinge_d.gxf", log: &log)
        var dg = [Float](repeating: 0, count: 5)
        let hg = LossKernel.hingeGenerator(fake: file.floats("hinge_g.x"), count: 5, dFake: &dg)
        expectMatches([hg], file, "hinge_g.y", log: &log)
        expectMatches(dg, file, "hinge_g.gx", log: &log)
        print("fixture losses: " + log.joined(separator: ", "))
    }
}
