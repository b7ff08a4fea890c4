// Class-conditional batch normalization (de Vries et al. 2017; as in SNGAN-projection, Miyato & Koyama
// 2018, and BigGAN, Brock et al. 2019): normalize with batch statistics and no affine of its own, then
// scale and shift each sample by rows of two class-indexed tables, y = f(γ[label] ⊙ x̂ + β[label]).
// The class then shapes every generator block, not only the generator's input.
// Parameters `name.gamma.weight`, `name.beta.weight` [classes, channels] (initialized to 1 and 0: an
// ordinary batch norm at the start); buffers `name.bn.running_mean`, `name.bn.running_var`,
// `name.bn.num_batches_tracked` — the names of bench/torch_models.py's ConditionalBatchNorm2d
// (torch.nn.BatchNorm2d(affine=False) + two torch.nn.Embedding), momentum 0.1, eps 1e-5.
import Kernels
import Tensor

/// A normalization layer with running statistics (for re-estimating them: standing statistics).
public protocol RunningStatistics: AnyObject {
    var channels: Int { get }
    var momentum: Float { get set }
    var runningMean: ParameterRef { get }
    var runningVar: ParameterRef { get }
}

extension BatchNorm: RunningStatistics {}

public final class ConditionalBatchNorm: RunningStatistics {
    public let channels: Int
    public let classes: Int
    public let activation: Activation
    public var momentum: Float = 0.1
    public var epsilon: Float = 1e-5
    let store: ParameterStore
    public let gamma, beta, runningMean, runningVar, batchesTracked: ParameterRef
    private let ones: [Float], zeros: [Float]
    private var saved = Slots<
        (
            input: Tensor, normalized: Tensor, preActivation: Tensor, labels: [Int],
            stats: BatchNormKernel.Statistics, training: Bool
        )
    >()
    private var normalizedOutputs = Slots<Tensor?>()
    private var preActivations = Slots<Tensor?>()
    private var outputs = Slots<Tensor?>()
    private var scaled: Tensor?
    private var inputGrad: Tensor?

    public init(_ name: String, store: ParameterStore, channels: Int, classes: Int, activation: Activation = .identity) {
        self.channels = channels; self.classes = classes; self.activation = activation; self.store = store
        ones = [Float](repeating: 1, count: channels)
        zeros = [Float](repeating: 0, count: channels)
        gamma = store.register("\(name).gamma.weight", shape: [classes, channels], initial: [Float](repeating: 1, count: classes * channels))
        beta = store.register("\(name).beta.weight", shape: [classes, channels], initial: [Float](repeating: 0, count: classes * channels))
        runningMean = store.register("\(name).bn.running_mean", shape: [channels], kind: .buffer, initial: zeros)
        runningVar = store.register("\(name).bn.running_var", shape: [channels], kind: .buffer, initial: ones)
        batchesTracked = store.register("\(name).bn.num_batches_tracked", shape: [], kind: .counter, initial: [0])
    }

    /// x [N, …, C] with one label per sample (N = labels.count) → y of the same shape.
    public func forward(_ x: Tensor, labels: [Int], mode: Mode, slot: Int) -> Tensor {
        precondition(x.shape.last == channels, "ConditionalBatchNorm: input \(x.shape) does not end in \(channels) channels")
        let n = labels.count
        precondition(n > 0 && x.count % (n * channels) == 0, "ConditionalBatchNorm: \(n) labels for input \(x.shape)")
        let rows = x.count / channels, perSample = rows / n
        var slotNormalized = normalizedOutputs[slot] ?? nil, slotPre = preActivations[slot] ?? nil, slotOutput = outputs[slot] ?? nil
        let xhat = reuse(&slotNormalized, x.shape), z = reuse(&slotPre, x.shape), y = reuse(&slotOutput, x.shape)
        (normalizedOutputs[slot], preActivations[slot], outputs[slot]) = (slotNormalized, slotPre, slotOutput)
        var stats = BatchNormKernel.Statistics(channels: channels)
        if mode == .training {
            BatchNormKernel.forwardTraining(
                y: xhat.data, x: x.data, rows: rows, channels: channels, gamma: ones, beta: zeros,
                runningMean: store.value(runningMean), runningVar: store.value(runningVar),
                momentum: momentum, epsilon: epsilon, activation: .identity, stats: &stats)
            store.value(batchesTracked).pointee += 1
        } else {
            BatchNormKernel.forwardInference(
                y: xhat.data, x: x.data, rows: rows, channels: channels, gamma: ones, beta: zeros,
                runningMean: store.value(runningMean), runningVar: store.value(runningVar),
                epsilon: epsilon, activation: .identity, stats: &stats)
        }
        let g = store.value(gamma), b = store.value(beta)
        for (i, label) in labels.enumerated() {
            precondition(label >= 0 && label < classes, "ConditionalBatchNorm: label \(label) outside 0..<\(classes)")
            let (gRow, bRow) = (g + label * channels, b + label * channels)
            for r in (i * perSample)..<((i + 1) * perSample) {
                let (src, dst) = (xhat.data + r * channels, z.data + r * channels)
                for ch in 0..<channels { dst[ch] = gRow[ch] * src[ch] + bRow[ch] }
            }
        }
        ActivationKernel.forward(activation, y: y.data, x: z.data, count: y.count)
        saved[slot] = (x, xhat, z, labels, stats, mode == .training)
        return y
    }

    /// dL/dx from dL/dy; accumulates the γ and β rows of the labels seen when `parameterGradients`.
    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let (x, xhat, z, labels, stats, training) = saved[slot] else {
            preconditionFailure("ConditionalBatchNorm: backward without forward in slot \(slot)")
        }
        let dz = reuse(&scaled, x.shape)
        ActivationKernel.backward(activation, dx: dz.data, dy: dy.data, x: z.data, count: dz.count)
        let perSample = x.count / channels / labels.count
        let g = store.value(gamma)
        for (i, label) in labels.enumerated() {
            let gRow = g + label * channels
            let (gGrad, bGrad) = (store.gradient(gamma) + label * channels, store.gradient(beta) + label * channels)
            for r in (i * perSample)..<((i + 1) * perSample) {
                let (d, h) = (dz.data + r * channels, xhat.data + r * channels)
                for ch in 0..<channels {
                    if parameterGradients {
                        gGrad[ch] += d[ch] * h[ch]
                        bGrad[ch] += d[ch]
                    }
                    d[ch] *= gRow[ch]  // now dL/dx̂
                }
            }
        }
        let dx = reuse(&inputGrad, x.shape)
        BatchNormKernel.backward(
            dx: dx.data, dy: dz.data, x: x.data, rows: x.count / channels, channels: channels,
            gamma: ones, beta: zeros, stats: stats, activation: .identity, training: training,
            gammaGrad: nil, betaGrad: nil)
        return dx
    }
}
