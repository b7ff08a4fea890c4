// Linear layer [N, in] → [N, out]; `name.weight` [out, in], optional `name.bias` [out] (torch.nn.Linear).
// `weightShape` lets a 1×1 convolution on pooled features (squeeze-excitation) keep PyTorch's
// [out, in, 1, 1] checkpoint shape while computing as a Linear.
import Kernels
import Tensor

public final class Linear: Layer {
    public let inFeatures, outFeatures: Int
    let store: ParameterStore
    public let weight: ParameterRef
    public let bias: ParameterRef?
    private var saved = Slots<Tensor>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(
        _ name: String, store: ParameterStore, inFeatures: Int, outFeatures: Int, bias: Bool = true,
        weightShape: [Int]? = nil, initializer: Initializer = .pytorchDefault, rng: inout RandomGenerator
    ) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.store = store
        let shape = weightShape ?? [outFeatures, inFeatures]
        precondition(shape.reduce(1, *) == inFeatures * outFeatures, "Linear \(name): weight shape \(shape)")
        weight = store.register("\(name).weight", shape: shape, initial: initializer.weights(inFeatures * outFeatures, fanIn: inFeatures, rng: &rng))
        self.bias =
            bias ? store.register("\(name).bias", shape: [outFeatures], initial: initializer.bias(outFeatures, fanIn: inFeatures, rng: &rng)) : nil
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let n = x.shape[0]
        precondition(x.count == n * inFeatures, "Linear: input \(x.shape) does not have \(inFeatures) features")
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, [n, outFeatures])
        outputs[slot] = slotOutput
        LinearKernel.forward(
            out: y.data, x: x.data, weight: store.value(weight), bias: bias.map { UnsafePointer(store.value($0)) },
            n: n, inFeatures: inFeatures, outFeatures: outFeatures)
        saved[slot] = x
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let x = saved[slot] else { preconditionFailure("Linear: backward without forward in slot \(slot)") }
        let dx = reuse(&inputGrad, x.shape)
        LinearKernel.backward(
            dx: dx.data, weightGrad: parameterGradients ? store.gradient(weight) : nil,
            biasGrad: parameterGradients ? bias.map { store.gradient($0) } : nil,
            dOut: dy.data, x: x.data, weight: store.value(weight), n: x.shape[0], inFeatures: inFeatures, outFeatures: outFeatures)
        return dx
    }
}
