// BatchNorm1d/2d over the last (channel) axis, with an optional fused activation. Parameters
// `name.weight`, `name.bias`; buffers `name.running_mean`, `name.running_var`,
// `name.num_batches_tracked` (torch.nn.BatchNorm2d, momentum 0.1, eps 1e-5).
import Kernels
import Tensor

public final class BatchNorm: Layer {
    public let channels: Int
    public let activation: Activation
    public var momentum: Float = 0.1
    public var epsilon: Float = 1e-5
    let store: ParameterStore
    public let weight, bias, runningMean, runningVar, batchesTracked: ParameterRef
    private var saved = Slots<(input: Tensor, stats: BatchNormKernel.Statistics, training: Bool)>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(
        _ name: String, store: ParameterStore, channels: Int, activation: Activation = .identity,
        initializer: Initializer = .pytorchDefault, rng: inout RandomGenerator
    ) {
        self.channels = channels; self.activation = activation; self.store = store
        weight = store.register("\(name).weight", shape: [channels], initial: initializer.batchNormScale(channels, rng: &rng))
        bias = store.register("\(name).bias", shape: [channels], initial: [Float](repeating: 0, count: channels))
        runningMean = store.register("\(name).running_mean", shape: [channels], kind: .buffer, initial: [Float](repeating: 0, count: channels))
        runningVar = store.register("\(name).running_var", shape: [channels], kind: .buffer, initial: [Float](repeating: 1, count: channels))
        batchesTracked = store.register("\(name).num_batches_tracked", shape: [], kind: .counter, initial: [0])
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        precondition(x.shape.last == channels, "BatchNorm: input \(x.shape) does not end in \(channels) channels")
        let rows = x.count / channels
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, x.shape)
        outputs[slot] = slotOutput
        var stats = BatchNormKernel.Statistics(channels: channels)
        if mode == .training {
            BatchNormKernel.forwardTraining(
                y: y.data, x: x.data, rows: rows, channels: channels, gamma: store.value(weight), beta: store.value(bias),
                runningMean: store.value(runningMean), runningVar: store.value(runningVar),
                momentum: momentum, epsilon: epsilon, activation: activation, stats: &stats)
            store.value(batchesTracked).pointee += 1
        } else {
            BatchNormKernel.forwardInference(
                y: y.data, x: x.data, rows: rows, channels: channels, gamma: store.value(weight), beta: store.value(bias),
                runningMean: store.value(runningMean), runningVar: store.value(runningVar),
                epsilon: epsilon, activation: activation, stats: &stats)
        }
        saved[slot] = (x, stats, mode == .training)
        return y
    }

    /// This layer in inference mode as a per-channel affine (scale, shift), for folding into the layer before.
    public func inferenceAffine() -> (scale: [Float], shift: [Float]) {
        BatchNormKernel.inferenceAffine(
            channels: channels, gamma: store.value(weight), beta: store.value(bias), runningMean: store.value(runningMean),
            runningVar: store.value(runningVar), epsilon: epsilon)
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let (x, stats, training) = saved[slot] else { preconditionFailure("BatchNorm: backward without forward in slot \(slot)") }
        let dx = reuse(&inputGrad, x.shape)
        BatchNormKernel.backward(
            dx: dx.data, dy: dy.data, x: x.data, rows: x.count / channels, channels: channels,
            gamma: store.value(weight), beta: store.value(bias), stats: stats, activation: activation, training: training,
            gammaGrad: parameterGradients ? store.gradient(weight) : nil, betaGrad: parameterGradients ? store.gradient(bias) : nil)
        return dx
    }
}
