// One full training iteration of each benchmark model against PyTorch, from identical weights and
// inputs (Tests/Fixtures/{cgan,classifier}_iteration.safetensors; docs/engine-contract.md): losses,
// every parameter gradient, the weights after the optimizer step, and batch-norm running statistics,
// compared with PyTorch's float64 run (see make_fixtures.py's float64_reference for why).
import CohortTestSupport
import Foundation
import Kernels
import Models
import NN
import Tensor
import Testing

/// The contract's h(i, k): exact integer hashing to [-0.5, 0.5).
func contractHash(_ i: Int, _ k: Int) -> Float {
    let product = (UInt64(i + 7919 * k) &* 2_654_435_761) & 0xFFFF_FFFF
    return Float(Double(product) / 4_294_967_296.0 - 0.5)
}

/// Initializes every parameter of `store` from the fixture's `init.<prefix><name>` = [offset, scale, k].
func contractInitialize(_ store: ParameterStore, from file: SafeTensorsFile, prefix: String) {
    for entry in store.entries where entry.kind == .parameter {
        let spec = file.floats("init.\(prefix)\(entry.name)")
        guard spec.count == 3 else { continue }
        let (offset, scale, k) = (spec[0], spec[1], Int(spec[2]))
        let base = store.values.data + entry.offset
        for i in 0..<entry.count {
            let product = scale * contractHash(i, k)
            base[i] = offset + product
        }
    }
}

func contractInput(_ shape: [Int], stream: Int) -> Tensor {
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = 2 * contractHash(i, stream) }
    return t
}

/// Compares gradients, weights after the optimizer step and running statistics of `store` with the
/// float64 reference; reports the worst error of each kind and how many tensors met 1e-4 outright.
///
/// The optimizer step is taken from the reference gradients (see `useReferenceGradients`), so the
/// weights compare the update rule itself, not the sign of gradients that are rounding noise.
func compareState(_ store: ParameterStore, file: SafeTensorsFile, prefix: String, gradients: [Float], log: inout [String]) {
    var scratch: [String] = []
    var worst = (gradient: 0.0, weight: 0.0, buffer: 0.0)
    var within = 0, total = 0
    for entry in store.entries where entry.kind != .counter {
        let name = "\(prefix)\(entry.name)"
        if entry.kind == .parameter {
            let grad = Array(gradients[entry.offset..<(entry.offset + entry.count)])
            let g = expectMatches(grad, file, "grad.\(name)", log: &scratch)
            let w = expectMatches(store.values(named: entry.name)!, file, "after.\(name)", log: &scratch)
            worst.gradient = max(worst.gradient, g)
            worst.weight = max(worst.weight, w)
            within += (g <= 1e-4 ? 1 : 0) + (w <= 1e-4 ? 1 : 0)
            total += 2
        } else if file["after.\(name)"] != nil {
            let b = expectMatches(store.values(named: entry.name)!, file, "after.\(name)", log: &scratch)
            worst.buffer = max(worst.buffer, b)
            within += b <= 1e-4 ? 1 : 0
            total += 1
        }
    }
    log.append("\(prefix.isEmpty ? "model" : prefix) worst errors: gradient \(worst.gradient), weights after step \(worst.weight), "
        + "running stats \(worst.buffer); \(within)/\(total) tensors within 1e-4, the rest within 2× PyTorch float32's own error")
}

/// Replaces the store's gradients by the reference's, after ours were compared. Adam's first step maps
/// each gradient element to about ±lr by its sign; for elements a later BatchNorm cancels to rounding
/// noise that sign is a coin toss in any float32 engine (PyTorch's included), so the optimizer is
/// checked on identical gradients while the gradients themselves are checked separately.
func useReferenceGradients(_ store: ParameterStore, file: SafeTensorsFile, prefix: String) {
    for entry in store.entries where entry.kind == .parameter {
        let values = file.floats("grad.\(prefix)\(entry.name)")
        values.withUnsafeBufferPointer { (store.gradients.data + entry.offset).update(from: $0.baseAddress!, count: entry.count) }
    }
}

/// With COHORT_CHECKPOINT_EXPORT_DIR set, writes the model's checkpoint (with optimizer state) there so
/// the PyTorch side can load it: python3 Tests/Fixtures/make_fixtures.py --check-checkpoint DIR/NAME.safetensors --model NAME
func exportCheckpoint(_ store: ParameterStore, optimizer: Optimizer, name: String) throws {
    guard let dir = ProcessInfo.processInfo.environment["COHORT_CHECKPOINT_EXPORT_DIR"] else { return }
    var file = SafeTensorsFile()
    Checkpoint.add(store, optimizer: optimizer, to: &file)
    try file.write(to: "\(dir)/\(name).safetensors")
}

@Suite struct IterationFixtureTests {
    @Test func cganIterationMatchesPyTorch() throws {
        let file = try Fixtures.load("cgan_iteration.safetensors")
        let g = Generator(seed: 1)
        let d = Discriminator(seed: 2)
        contractInitialize(g.store, from: file, prefix: "G.")
        contractInitialize(d.store, from: file, prefix: "D.")
        let y = file["y"]!.integers.map { Int($0) }, y2 = file["y2"]!.integers.map { Int($0) }
        let n = y.count
        let x = contractInput([n, 64, 64, 1], stream: 1000)  // C = 1: NCHW and NHWC orders coincide
        let z = contractInput([n, 128], stream: 1001)
        let gOpt = Adam(parameterCount: g.store.parameterCount, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        let dOpt = Adam(parameterCount: d.store.parameterCount, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        var log: [String] = []

        let fake = g.forward(z: z, labels: y2, mode: .training)
        // D step: two calls with their own batch statistics.
        d.store.zeroGradients()
        let real = d.forward(x, labels: y, mode: .training, slot: 0)
        let fakeScores = d.forward(fake, labels: y2, mode: .training, slot: 1)
        let dReal = Tensor(shape: [n]), dFake = Tensor(shape: [n])
        let dLoss = LossKernel.hingeDiscriminator(real: real.data, realCount: n, fake: fakeScores.data, fakeCount: n, dReal: dReal.data, dFake: dFake.data)
        expectMatches([dLoss], file, "d_loss", log: &log)
        d.backward(dReal, slot: 0, inputGradient: false)
        d.backward(dFake, slot: 1, inputGradient: false)
        let dGrads = d.store.gradients.array
        useReferenceGradients(d.store, file: file, prefix: "D.")
        dOpt.update(d.store)
        // G step through the frozen, updated D.
        g.store.zeroGradients()
        let scores = d.forward(fake, labels: y2, mode: .training, slot: 2)
        let dScores = Tensor(shape: [n])
        let gLoss = LossKernel.hingeGenerator(fake: scores.data, count: n, dFake: dScores.data)
        expectMatches([gLoss], file, "g_loss", log: &log)
        let dDGradsBefore = d.store.gradients.array
        g.backward(d.backward(dScores, slot: 2, parameterGradients: false)!)
        #expect(d.store.gradients.array == dDGradsBefore, "a frozen discriminator's gradients must not change")
        let gGrads = g.store.gradients.array
        useReferenceGradients(g.store, file: file, prefix: "G.")
        gOpt.update(g.store)

        compareState(d.store, file: file, prefix: "D.", gradients: dGrads, log: &log)
        compareState(g.store, file: file, prefix: "G.", gradients: gGrads, log: &log)
        try exportCheckpoint(g.store, optimizer: gOpt, name: "cgan-generator")
        try exportCheckpoint(d.store, optimizer: dOpt, name: "cgan-discriminator")
        print("cGAN iteration vs PyTorch: " + log.joined(separator: "; "))
    }

    @Test func classifierIterationMatchesPyTorch() throws {
        let file = try Fixtures.load("classifier_iteration.safetensors")
        var configuration = Classifier.Configuration()
        configuration.dropout = 0
        let model = Classifier(configuration, seed: 3)
        contractInitialize(model.store, from: file, prefix: "")
        let y = file["y"]!.integers.map { Int($0) }
        let x = contractInput([y.count, 128, 128, 1], stream: 1000)
        let optimizer = Adam.adamW(parameterCount: model.store.parameterCount, learningRate: 1e-3, weightDecay: 0.05)
        var log: [String] = []
        model.store.zeroGradients()
        let logits = model.forward(x, mode: .training)
        let dLogits = Tensor(shape: logits.shape)
        let loss = LossKernel.crossEntropy(logits: logits.data, targets: y, classes: 4, labelSmoothing: 0.1, dLogits: dLogits.data)
        expectMatches([loss], file, "loss", log: &log)
        model.backward(dLogits)
        let grads = model.store.gradients.array
        useReferenceGradients(model.store, file: file, prefix: "")
        optimizer.update(model.store)
        compareState(model.store, file: file, prefix: "", gradients: grads, log: &log)
        try exportCheckpoint(model.store, optimizer: optimizer, name: "classifier")
        #expect(model.store.parameterCount == 1_784_472)
        print("classifier iteration vs PyTorch: " + log.joined(separator: "; "))
    }
}
