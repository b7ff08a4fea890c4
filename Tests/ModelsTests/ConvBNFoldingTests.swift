import Foundation
// The inference path of convolution + batch norm (issue 15): batch norm folded into the convolution's
// weights and bias, the activation applied to each output tile in cache. It must equal the two layers
// run one after the other in inference mode — on every kernel path the folding touches: im2col tiles,
// the whole-batch GEMM, 1×1 row chunks and depthwise — with batch-norm statistics far from identity.
import NN
import Tensor
import Testing

@testable import Kernels
@testable import Models

@Suite struct ConvBNFoldingTests {
    /// A ConvBN whose batch norm has random γ, β and running statistics (as after training).
    static func layer(cin: Int, cout: Int, kernel: Int, stride: Int, groups: Int, activation: Activation, seed: UInt64) -> ConvBN {
        let store = ParameterStore()
        var rng = RandomGenerator(seed: seed)
        let unit = ConvBN(
            "unit", store: store, workspace: Workspace(), inChannels: cin, outChannels: cout, kernel: kernel, stride: stride,
            groups: groups, activation: activation, rng: &rng)
        store.finalize()
        for c in 0..<cout {
            store.value(unit.bn.weight)[c] = rng.uniform(0.3, 2)
            store.value(unit.bn.bias)[c] = rng.uniform(-1, 1)
            store.value(unit.bn.runningMean)[c] = rng.uniform(-0.5, 0.5)
            store.value(unit.bn.runningVar)[c] = rng.uniform(0.05, 3)
        }
        return unit
    }

    /// Largest |folded − unfolded| relative to the largest |unfolded|.
    static func mismatch(_ unit: ConvBN, input shape: [Int], seed: UInt64) -> Float {
        var rng = RandomGenerator(seed: seed)
        let x = Tensor(shape: shape)
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        let reference = unit.bn.forward(unit.conv.forward(x, mode: .inference, slot: 0), mode: .inference, slot: 0).array
        let folded = unit.forward(x, mode: .inference, slot: 1).array
        #expect(folded.count == reference.count)
        let scale = reference.map(abs).max()!
        return zip(folded, reference).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [Activation.silu, .identity, .relu])
    func foldedEqualsConvThenBatchNorm(activation: Activation) {
        // 3×3 over a batch large enough to tile over images, and over one image (whole-batch GEMM).
        let conv3 = Self.layer(cin: 8, cout: 24, kernel: 3, stride: 1, groups: 1, activation: activation, seed: 1)
        TileSizing.$forcedImagesPerTile.withValue(1) {
            let n = max(12, 2 * Parallel.workers)  // at least as many one-image tiles as workers
            let tiledShape = Conv2DShape(n: n, h: 16, w: 16, cin: 8, cout: 24, kernel: 3, stride: 1, padding: 1)
            #expect(Parallel.workers < 2 || Conv2DKernel.tiling(tiledShape) != nil, "the first case must take the tiled path")
            #expect(Self.mismatch(conv3, input: [n, 16, 16, 8], seed: 2) < 1e-5)
        }
        #expect(Self.mismatch(conv3, input: [1, 16, 16, 8], seed: 3) < 1e-5)
        let strided = Self.layer(cin: 4, cout: 16, kernel: 3, stride: 2, groups: 1, activation: activation, seed: 4)
        #expect(Self.mismatch(strided, input: [6, 15, 15, 4], seed: 5) < 1e-5)
        // 1×1: row chunks from 512 rows on, one GEMM below.
        let pointwise = Self.layer(cin: 12, cout: 20, kernel: 1, stride: 1, groups: 1, activation: activation, seed: 6)
        #expect(Self.mismatch(pointwise, input: [4, 16, 16, 12], seed: 7) < 1e-5)
        #expect(Self.mismatch(pointwise, input: [1, 5, 7, 12], seed: 8) < 1e-5)
        // Depthwise 3×3, strides 1 and 2.
        let depthwise = Self.layer(cin: 16, cout: 16, kernel: 3, stride: 1, groups: 16, activation: activation, seed: 9)
        #expect(Self.mismatch(depthwise, input: [3, 9, 9, 16], seed: 10) < 1e-5)
        let depthwise2 = Self.layer(cin: 16, cout: 16, kernel: 3, stride: 2, groups: 16, activation: activation, seed: 11)
        #expect(Self.mismatch(depthwise2, input: [3, 9, 9, 16], seed: 12) < 1e-5)
    }

    /// The generator's up-block: transposed convolution, then batch norm + ReLU; and its output layer with
    /// bias and tanh — folded, tiled over images and as one whole-batch GEMM.
    @Test func foldedTransposedConvolutionEqualsTheTwoLayers() {
        let store = ParameterStore()
        var rng = RandomGenerator(seed: 21)
        let workspace = Workspace()
        let up = ConvTranspose2D(
            "up", store: store, workspace: workspace, inChannels: 12, outChannels: 6, kernel: 4, stride: 2, padding: 1, bias: false, rng: &rng)
        let bn = BatchNorm("bn", store: store, channels: 6, activation: .relu, rng: &rng)
        let out = ConvTranspose2D(
            "out", store: store, workspace: workspace, inChannels: 6, outChannels: 1, kernel: 4, stride: 2, padding: 1, bias: true, rng: &rng)
        store.finalize()
        for c in 0..<6 {
            store.value(bn.weight)[c] = rng.uniform(0.3, 2)
            store.value(bn.bias)[c] = rng.uniform(-1, 1)
            store.value(bn.runningMean)[c] = rng.uniform(-0.5, 0.5)
            store.value(bn.runningVar)[c] = rng.uniform(0.05, 3)
        }
        store.value(out.bias!)[0] = 0.3
        for (n, forced) in [(max(6, 2 * Parallel.workers), 1), (1, nil)] as [(Int, Int?)] {
            let x = Tensor(shape: [n, 5, 5, 12])
            for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
            TileSizing.$forcedImagesPerTile.withValue(forced) {
                let reference = bn.forward(up.forward(x, mode: .inference, slot: 0), mode: .inference, slot: 0)
                let (scale, shift) = bn.inferenceAffine()
                let folded = up.forwardFolded(x, scale: scale, shift: shift, activation: .relu, slot: 1)
                #expect(Self.relativeError(folded.array, reference.array) < 1e-5, "up-block, \(n) images")
                // The layer's own bias goes through the affine too: f((convT(x) + b)·1.7 − 0.2).
                var image = out.forward(reference, mode: .inference, slot: 0).array
                for i in image.indices { image[i] = Float(Foundation.tanh(Double(image[i] * 1.7 - 0.2))) }
                let fused = out.forwardFolded(reference, scale: [1.7], shift: [-0.2], activation: .tanh, slot: 1)
                #expect(Self.relativeError(fused.array, image) < 1e-5, "output layer, \(n) images")
            }
        }
    }

    /// The whole generator at inference (folded up-blocks, fused tanh) against its layers run one by one.
    @Test func generatorInferenceEqualsItsLayersInSequence() {
        let g = Generator(.init(classes: 3, latentDimension: 6, embeddingDimension: 4, baseChannels: 16, imageSize: 16), seed: 7)
        var rng = RandomGenerator(seed: 8)
        let z = Tensor(shape: [5, 6])
        for i in 0..<z.count { z[i] = rng.normal() }
        let labels = [0, 2, 1, 1, 0]
        _ = g.forward(z: z, labels: labels, mode: .training, slot: 0)  // running statistics away from 0 and 1
        let folded = g.forward(z: z, labels: labels, mode: .inference, slot: 1).array
        // The unfolded reference: the same layers, each in inference mode.
        let e = g.embed.forward(labels, slot: 2)
        let h = Tensor(shape: [5, 10])
        for i in 0..<5 {
            for j in 0..<6 { h[i * 10 + j] = z[i * 6 + j] }
            for j in 0..<4 { h[i * 10 + 6 + j] = e[i * 4 + j] }
        }
        let features = g.bn0.forward(g.fc.forward(h, mode: .inference, slot: 2), mode: .inference, slot: 2)
        var x = Tensor(shape: [5, 4, 4, 16])
        FeatureLayout.unflatten(features, into: x, n: 5, c: 16, h: 4, w: 4)
        for (up, norm) in zip(g.ups, g.upNorms) { x = norm.forward(up.forward(x, mode: .inference, slot: 2), mode: .inference, slot: 2) }
        let reference = g.tanh.forward(g.out.forward(x, mode: .inference, slot: 2), mode: .inference, slot: 2).array
        #expect(Self.relativeError(folded, reference) < 1e-5)
    }

    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    /// A convolution with its own bias: the bias is scaled with the weights, (conv(x) + b)·scale + shift.
    @Test func foldingScalesTheConvolutionsOwnBias() {
        let store = ParameterStore()
        var rng = RandomGenerator(seed: 31)
        let conv = Conv2D("c", store: store, workspace: Workspace(), inChannels: 3, outChannels: 5, kernel: 3, padding: 1, bias: true, rng: &rng)
        store.finalize()
        let scale: [Float] = [0.5, 1.5, -2, 0.9, 3], shift: [Float] = [0.1, -0.4, 0.2, 0, 1]
        let x = Tensor(shape: [2, 6, 6, 3])
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        var expected = conv.forward(x, mode: .inference, slot: 0).array
        for i in expected.indices { expected[i] = max(0, expected[i] * scale[i % 5] + shift[i % 5]) }
        let folded = conv.forwardFolded(x, scale: scale, shift: shift, activation: .relu, slot: 1).array
        #expect(Self.relativeError(folded, expected) < 1e-5)
    }

    /// ConvBN in training mode is still convolution then batch norm on the batch's statistics: the folded
    /// path is taken at inference only.
    @Test func trainingModeIsUnchanged() {
        let unit = Self.layer(cin: 4, cout: 8, kernel: 3, stride: 1, groups: 1, activation: .silu, seed: 13)
        var rng = RandomGenerator(seed: 14)
        let x = Tensor(shape: [5, 8, 8, 4])
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        let expected = unit.bn.forward(unit.conv.forward(x, mode: .training, slot: 0), mode: .training, slot: 0).array
        // A twin with the same weights and statistics (the first forward moved `unit`'s running statistics).
        let twin = Self.layer(cin: 4, cout: 8, kernel: 3, stride: 1, groups: 1, activation: .silu, seed: 13)
        #expect(twin.forward(x, mode: .training, slot: 2).array == expected)
    }
}
