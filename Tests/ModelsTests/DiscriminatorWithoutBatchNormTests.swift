// The discriminator without batch norm (SNGAN's: spectral normalization alone; cohortd's
// `gan.discriminator_batch_norm: false`): its names, its gradients by finite differences, one hinge D step
// against PyTorch's float64 run of bench/torch_models.py's `Discriminator(batch_norm=False)`, and a
// checkpoint PyTorch loads with strict=True.
import CohortTestSupport
import Foundation
import Kernels
import Models
import NN
import Tensor
import Testing

@Suite struct DiscriminatorWithoutBatchNormTests {
    @Test func downBlocksAreConvolutionsWithBiasAndNoNorm() {
        let d = Discriminator(.init(batchNorm: false), seed: 2)
        let names = Set(d.store.entries.map(\.name))
        for i in 0..<d.configuration.downBlocks {
            #expect(names.contains("blocks.\(3 * i).weight") && names.contains("blocks.\(3 * i).bias"), "block \(i): conv with bias")
            #expect(!names.contains { $0.hasPrefix("blocks.\(3 * i + 1).") }, "block \(i): no batch norm")
        }
        #expect(d.store.bufferCount == 0, "no running statistics")
        #expect(d.spectrallyNormalizedWeights.count == 2 + d.configuration.downBlocks)
        let withNorm = Discriminator(.init(), seed: 2)
        #expect(d.macsPerImage == withNorm.macsPerImage)
    }

    /// Central differences of every parameter under the mean score: without batch norm a sample's score
    /// depends on its own image only, so the check is also exact per sample (no batch coupling).
    @Test func gradientsMatchFiniteDifferences() {
        let d = Discriminator(.init(classes: 3, baseChannels: 4, imageSize: 16, batchNorm: false), seed: 2)
        var rng = RandomGenerator(seed: 3)
        let x = Tensor(shape: [4, 16, 16, 1])
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        let labels = [0, 2, 1, 2]
        func loss() -> Double { d.forward(x, labels: labels, mode: .training, slot: 1).array.reduce(0.0) { $0 + Double($1) } / 4 }
        d.store.zeroGradients()
        _ = d.forward(x, labels: labels, mode: .training)
        let dx = d.backward(Tensor(shape: [4], values: [0.25, 0.25, 0.25, 0.25]), parameterGradients: true)!.array
        let analytic = d.store.gradients.array
        for entry in d.store.entries where entry.kind == .parameter {
            let report = GradientCheck.check(
                "D without BN \(entry.name)", values: d.store.values.data + entry.offset, count: entry.count,
                analytic: Array(analytic[entry.offset..<(entry.offset + entry.count)]), step: 1e-3, samples: 6, loss: loss)
            #expect(report.worstError < 5e-2, "\(report)")
        }
        let input = GradientCheck.check("D without BN input", values: x.data, count: x.count, analytic: dx, step: 1e-3, samples: 8, loss: loss)
        #expect(input.worstError < 5e-2, "\(input)")
        // One image's score does not move when another image of the batch changes.
        let before = d.forward(x, labels: labels, mode: .training, slot: 2).array
        for i in 256..<512 { x[i] += 0.5 }
        let after = d.forward(x, labels: labels, mode: .training, slot: 2).array
        #expect(before[0] == after[0] && before[2] == after[2] && before[3] == after[3] && before[1] != after[1])
    }

    @Test func hingeStepMatchesPyTorch() throws {
        let file = try Fixtures.load("discriminator_nobn.safetensors")
        let tolerance = IterationTolerance(file)
        let d = Discriminator(.init(batchNorm: false), seed: 2)
        contractInitialize(d.store, from: file, prefix: "D.")
        let y = file["y"]!.integers.map { Int($0) }, y2 = file["y2"]!.integers.map { Int($0) }
        let n = y.count
        let x = contractInput([n, 64, 64, 1], stream: 1000)  // C = 1: NCHW and NHWC orders coincide
        let fake = contractInput([n, 64, 64, 1], stream: 1002)
        d.store.zeroGradients()
        let (loss, dReal, dFake) = hingeDiscriminatorLoss(d, real: x, labels: y, fake: fake, fakeLabels: y2)
        d.backward(dReal, slot: 0, inputGradient: false)
        let dImage = d.backward(dFake, slot: 1)!.array
        var log: [String] = []
        tolerance.expect([loss], file, "d_loss", log: &log)
        tolerance.expect(dImage, file, "grad.fake", log: &log)
        let verdicts = judgeGradients(d.store, d.store.gradients.array, file: file, prefix: "D.")
        for verdict in verdicts { #expect(verdict.passes, "\(verdict.name): \(verdict.error) > \(verdict.bound)") }
        #expect(verdicts.count == 2 * (2 + d.configuration.downBlocks) + 1, "every weight, bias and the embedding")
        let worst = verdicts.max { $0.error / $0.bound < $1.error / $1.bound }!
        let summary = "\(log.joined(separator: "; ")); worst \(worst.name) \(worst.error) (bound \(worst.bound))"
        print("D without batch norm vs PyTorch float64 (\(blasKernelNote())): \(summary)")
        let optimizer = Adam(parameterCount: d.store.parameterCount, learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        optimizer.update(d.store)
        try exportCheckpoint(d.store, optimizer: optimizer, name: "cgan-discriminator-nobn")
    }
}
