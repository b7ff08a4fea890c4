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

/// What one cGAN iteration of the engine computed, in the engine's parameter order.
struct CGANIterationResult {
    var g: Generator
    var d: Discriminator
    var gOptimizer: Adam
    var dOptimizer: Adam
    var dLoss: Float
    var gLoss: Float
    var dGradients: [Float]
    var gGradients: [Float]
}

/// A deliberate bug to inject into the cGAN iteration (`NegativeIterationTests`).
enum InjectedBug {
    case none
    /// The D step forgets the fake half of the hinge loss (a dropped term).
    case dropFakeTerm
    /// The sign of one layer's weight gradient is flipped (G.blocks.6, the worst-conditioned tensor).
    case flipSign(layer: String)
}

/// One cGAN iteration exactly as docs/engine-contract.md orders it, from the fixture's deterministic
/// weights and inputs. The optimizer steps use the reference gradients (`useReferenceGradients`).
func runCGANIteration(_ file: SafeTensorsFile, bug: InjectedBug = .none) -> CGANIterationResult {
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

    let fake = g.forward(z: z, labels: y2, mode: .training)
    d.store.zeroGradients()
    let (dLoss, dReal, dFake) = hingeDiscriminatorLoss(d, real: x, labels: y, fake: fake, fakeLabels: y2)
    d.backward(dReal, slot: 0, inputGradient: false)
    if case .dropFakeTerm = bug {} else { d.backward(dFake, slot: 1, inputGradient: false) }
    let dGrads = d.store.gradients.array
    useReferenceGradients(d.store, file: file, prefix: "D.")
    dOpt.update(d.store)
    // G step through the frozen, updated D.
    g.store.zeroGradients()
    let scores = d.forward(fake, labels: y2, mode: .training, slot: 2)
    let dScores = Tensor(shape: [n])
    let gLoss = LossKernel.hingeGenerator(fake: scores.data, count: n, dFake: dScores.data)
    let dDGradsBefore = d.store.gradients.array
    g.backward(d.backward(dScores, slot: 2, parameterGradients: false)!)
    #expect(d.store.gradients.array == dDGradsBefore, "a frozen discriminator's gradients must not change")
    var gGrads = g.store.gradients.array
    if case .flipSign(let layer) = bug, let entry = g.store.entry(named: layer) {
        for i in entry.offset..<(entry.offset + entry.count) { gGrads[i] = -gGrads[i] }
    }
    useReferenceGradients(g.store, file: file, prefix: "G.")
    gOpt.update(g.store)
    return CGANIterationResult(g: g, d: d, gOptimizer: gOpt, dOptimizer: dOpt, dLoss: dLoss, gLoss: gLoss, dGradients: dGrads, gGradients: gGrads)
}

/// The contract's D-step loss: the real batch (slot 0) and the fake batch (slot 1) scored in two D calls,
/// each with its own batch statistics, and the hinge loss with its gradients with respect to both scores.
func hingeDiscriminatorLoss(_ d: Discriminator, real: Tensor, labels: [Int], fake: Tensor, fakeLabels: [Int]) -> (
    loss: Float, dReal: Tensor, dFake: Tensor
) {
    let realScores = d.forward(real, labels: labels, mode: .training, slot: 0)
    let fakeScores = d.forward(fake, labels: fakeLabels, mode: .training, slot: 1)
    let dReal = Tensor(shape: [labels.count]), dFake = Tensor(shape: [fakeLabels.count])
    let loss = LossKernel.hingeDiscriminator(
        real: realScores.data, realCount: labels.count, fake: fakeScores.data, fakeCount: fakeLabels.count, dReal: dReal.data,
        dFake: dFake.data)
    return (loss, dReal, dFake)
}

/// Judges every parameter gradient of `store` (values `gradients`, engine order) against the fixture;
/// returns the verdicts without recording anything.
func judgeGradients(_ store: ParameterStore, _ gradients: [Float], file: SafeTensorsFile, prefix: String) -> [ToleranceVerdict] {
    let tolerance = IterationTolerance(file)
    return store.entries.filter { $0.kind == .parameter }.map { entry in
        tolerance.judge(Array(gradients[entry.offset..<(entry.offset + entry.count)]), file, "grad.\(prefix)\(entry.name)")
    }
}

/// Compares gradients, weights after the optimizer step and running statistics of `store` with the
/// float64 reference under `IterationTolerance`; logs the worst error of each kind relative to its bound.
///
/// The optimizer step is taken from the reference gradients (see `useReferenceGradients`), so the
/// weights compare the update rule itself, not the sign of gradients that are rounding noise.
func compareState(_ store: ParameterStore, file: SafeTensorsFile, prefix: String, gradients: [Float], log: inout [String]) {
    let tolerance = IterationTolerance(file)
    var scratch: [String] = []
    var worst: [String: ToleranceVerdict] = [:]
    func note(_ kind: String, _ verdict: ToleranceVerdict) {
        let kind = verdict.isNoise ? "\(kind) (mathematically zero, reference is noise)" : kind
        if verdict.error > (worst[kind]?.error ?? -1) { worst[kind] = verdict }
    }
    var within = 0, total = 0
    for entry in store.entries where entry.kind != .counter {
        let name = "\(prefix)\(entry.name)"
        if entry.kind == .parameter {
            let grad = Array(gradients[entry.offset..<(entry.offset + entry.count)])
            let g = tolerance.expect(grad, file, "grad.\(name)", log: &scratch)
            let w = tolerance.expect(store.values(named: entry.name)!, file, "after.\(name)", log: &scratch)
            note("gradient", g)
            note("weights after step", w)
            within += (g.error <= 1e-4 ? 1 : 0) + (w.error <= 1e-4 ? 1 : 0)
            total += 2
        } else if file["after.\(name)"] != nil {
            let b = tolerance.expect(store.values(named: entry.name)!, file, "after.\(name)", log: &scratch)
            note("running stats", b)
            within += b.error <= 1e-4 ? 1 : 0
            total += 1
        }
    }
    let summary = worst.keys.sorted().map { kind in
        let v = worst[kind]!
        return "\(kind) \(v.error) (\(v.name), bound \(v.bound))"
    }
    log.append(
        "\(prefix.isEmpty ? "model" : prefix) worst norm-wise errors: " + summary.joined(separator: ", ")
            + "; \(within)/\(total) tensors within 1e-4, the rest within their conditioning bound")
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

/// The OpenBLAS kernel these numbers came from, for the log (tests run under several: Tests/numeric-kernels.sh).
func blasKernelNote() -> String {
    "OpenBLAS core \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "auto")"
}

@Suite struct IterationFixtureTests {
    @Test func cganIterationMatchesPyTorch() throws {
        let file = try Fixtures.load("cgan_iteration.safetensors")
        let tolerance = IterationTolerance(file)
        let result = runCGANIteration(file)
        var log: [String] = []
        tolerance.expect([result.dLoss], file, "d_loss", log: &log)
        tolerance.expect([result.gLoss], file, "g_loss", log: &log)
        compareState(result.d.store, file: file, prefix: "D.", gradients: result.dGradients, log: &log)
        compareState(result.g.store, file: file, prefix: "G.", gradients: result.gGradients, log: &log)
        try exportCheckpoint(result.g.store, optimizer: result.gOptimizer, name: "cgan-generator")
        try exportCheckpoint(result.d.store, optimizer: result.dOptimizer, name: "cgan-discriminator")
        for line in log.suffix(2) { print("cGAN iteration vs PyTorch float64 (\(blasKernelNote())): " + line) }
    }

    @Test func classifierIterationMatchesPyTorch() throws {
        let file = try Fixtures.load("classifier_iteration.safetensors")
        let tolerance = IterationTolerance(file)
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
        tolerance.expect([loss], file, "loss", log: &log)
        model.backward(dLogits)
        let grads = model.store.gradients.array
        useReferenceGradients(model.store, file: file, prefix: "")
        optimizer.update(model.store)
        compareState(model.store, file: file, prefix: "", gradients: grads, log: &log)
        try exportCheckpoint(model.store, optimizer: optimizer, name: "classifier")
        #expect(model.store.parameterCount == 1_784_472)
        print("classifier iteration vs PyTorch float64 (\(blasKernelNote())): " + log.suffix(1).joined(separator: "; "))
    }
}

/// With COHORT_CHECKPOINT_EXPORT_DIR set, writes a full-size class-conditional generator (after one
/// step, so γ/β rows differ by class) for `make_fixtures.py --check-checkpoint … --model cgan-generator-cbn`.
@Suite struct ConditionalGeneratorCheckpointTests {
    @Test func exportsAStrictlyLoadableCheckpoint() throws {
        let g = Generator(.init(conditionalNorm: true), initializer: .dcgan, seed: 4)
        let optimizer = Adam(parameterCount: g.store.parameterCount, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        let z = contractInput([8, 128], stream: 1001)
        let labels = (0..<8).map { $0 % 4 }
        g.store.zeroGradients()
        let image = g.forward(z: z, labels: labels, mode: .training)
        g.backward(contractInput(image.shape, stream: 1002))
        optimizer.update(g.store)
        #expect(g.store.entry(named: "blocks.1.gamma.weight")?.shape == [4, 128])
        try exportCheckpoint(g.store, optimizer: optimizer, name: "cgan-generator-cbn")
    }
}

/// The tolerance must still catch a wrong gradient: each injected bug has to fail the bound on the
/// tensors it corrupts, under every OpenBLAS kernel (Tests/numeric-kernels.sh runs this suite under each).
@Suite struct NegativeIterationTests {
    @Test func droppedFakeTermFailsTheBound() throws {
        let file = try Fixtures.load("cgan_iteration.safetensors")
        let result = runCGANIteration(file, bug: .dropFakeTerm)
        let verdicts = judgeGradients(result.d.store, result.dGradients, file: file, prefix: "D.")
        let failing = verdicts.filter { !$0.passes }
        // Every D weight sees both halves of the loss, so every D gradient (bar none) must be caught.
        let missed = verdicts.filter(\.passes).map { "\($0.name) \($0.error) ≤ \($0.bound)" }.joined(separator: ", ")
        #expect(failing.count == verdicts.count, "only \(failing.count) of \(verdicts.count) D gradients caught the dropped term: \(missed)")
        let margin = failing.map { $0.error / $0.bound }.min() ?? 0
        print("dropped fake term (\(blasKernelNote())): \(failing.count)/\(verdicts.count) D gradients fail; smallest error/bound \(margin)")
    }

    @Test func signFlipInTheWorstConditionedLayerFailsTheBound() throws {
        let file = try Fixtures.load("cgan_iteration.safetensors")
        let layer = "blocks.6.weight"
        let result = runCGANIteration(file, bug: .flipSign(layer: layer))
        let verdicts = judgeGradients(result.g.store, result.gGradients, file: file, prefix: "G.")
        let flipped = verdicts.first { $0.name == "grad.G.\(layer)" }!
        #expect(!flipped.passes, "a sign-flipped \(layer) gradient passed: \(flipped.error) ≤ \(flipped.bound)")
        #expect(verdicts.filter { !$0.passes }.map(\.name) == [flipped.name], "the other G gradients are untouched and must pass")
        print("sign flip in G.\(layer) (\(blasKernelNote())): error \(flipped.error), bound \(flipped.bound)")
    }
}
