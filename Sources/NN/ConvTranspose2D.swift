// ConvTranspose2D layer over channels-last [N, H, W, Cin] → [N, (H−1)S−2P+K, …, Cout].
// Weight `name.weight` [Cin, Cout, K, K], optional `name.bias` [Cout], as torch.nn.ConvTranspose2d.
import Kernels
import Tensor

public final class ConvTranspose2D: Layer {
    public let inChannels, outChannels, kernel, stride, padding: Int
    let store: ParameterStore
    let workspace: Workspace
    public let weight: ParameterRef
    public let bias: ParameterRef?
    private var packed: Tensor?
    private var packedGrad: Tensor?
    /// The folded forward's scaled weights: never `packed`, which backward reads for the training forwards.
    private var foldedPacked: Tensor?
    private var saved = Slots<(input: Tensor, shape: ConvTranspose2DShape)>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(
        _ name: String, store: ParameterStore, workspace: Workspace, inChannels: Int, outChannels: Int,
        kernel: Int, stride: Int, padding: Int, bias: Bool = true, initializer: Initializer = .pytorchDefault,
        rng: inout RandomGenerator
    ) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding; self.store = store; self.workspace = workspace
        let fanIn = outChannels * kernel * kernel  // PyTorch: weight.size(1) · receptive field
        let shape = [inChannels, outChannels, kernel, kernel]
        weight = store.register("\(name).weight", shape: shape, initial: initializer.weights(shape.reduce(1, *), fanIn: fanIn, rng: &rng))
        self.bias = bias ? store.register("\(name).bias", shape: [outChannels], initial: initializer.bias(outChannels, fanIn: fanIn, rng: &rng)) : nil
    }

    /// The call's shape and `slot`'s output buffer for input `x` [N, H, W, Cin].
    private func prepare(_ x: Tensor, slot: Int) -> (ConvTranspose2DShape, Tensor) {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels, "ConvTranspose2D: input \(x.shape) is not [N, H, W, \(inChannels)]")
        let s = ConvTranspose2DShape(
            n: x.shape[0], h: x.shape[1], w: x.shape[2], cin: inChannels, cout: outChannels,
            kernel: kernel, stride: stride, padding: padding)
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, [s.n, s.oh, s.ow, outChannels])
        outputs[slot] = slotOutput
        return (s, y)
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let (s, y) = prepare(x, slot: slot)
        let p = reuse(&packed, [inChannels * s.columns])
        ConvTranspose2DKernel.packWeights(store.value(weight), s, into: p.data)
        ConvTranspose2DKernel.forward(
            out: y.data, x: x.data, packedWeight: p.data, bias: bias.map { UnsafePointer(store.value($0)) },
            shape: s, scratch: workspace.scratch)
        saved[slot] = (x, s)
        return y
    }

    /// Inference forward with a per-output-channel affine folded in and an activation fused, as
    /// `Conv2D.forwardFolded`: y = f(convT(x) · scale + shift), the activation applied to each output tile
    /// right after its col2im. Keeps nothing for backward.
    public func forwardFolded(_ x: Tensor, scale: [Float], shift: [Float], activation: Activation, slot: Int) -> Tensor {
        precondition(scale.count == outChannels && shift.count == outChannels, "ConvTranspose2D: folded affine is not per output channel")
        let (s, y) = prepare(x, slot: slot)
        let p = reuse(&foldedPacked, [inChannels * s.columns])
        ConvTranspose2DKernel.packWeights(store.value(weight), s, into: p.data)
        // Packed [Cin, KH·KW, Cout]: output channel co is every Cout-th value.
        for row in 0..<(inChannels * s.kh * s.kw) {
            for co in 0..<outChannels { p.data[row * outChannels + co] *= scale[co] }
        }
        let foldedBias = foldedBias(shift: shift, scale: scale, bias: bias, store: store)
        foldedBias.withUnsafeBufferPointer {
            ConvTranspose2DKernel.forward(
                out: y.data, x: x.data, packedWeight: p.data, bias: $0.baseAddress, activation: activation, shape: s, scratch: workspace.scratch)
        }
        saved[slot] = nil
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let (x, s) = saved[slot] else { preconditionFailure("ConvTranspose2D: backward without forward in slot \(slot)") }
        let dx = reuse(&inputGrad, x.shape)
        let pg = parameterGradients ? reuse(&packedGrad, [inChannels * s.columns]).data : nil
        ConvTranspose2DKernel.backward(
            dx: dx.data, packedWeightGrad: pg, biasGrad: parameterGradients ? bias.map { store.gradient($0) } : nil,
            dOut: dy.data, x: x.data, packedWeight: packed!.data, shape: s, scratch: workspace.scratch)
        if let pg { ConvTranspose2DKernel.unpackAccumulate(pg, s, into: store.gradient(weight)) }
        return dx
    }

    public func macs(h: Int, w: Int) -> Int {
        ConvTranspose2DShape(n: 1, h: h, w: w, cin: inChannels, cout: outChannels, kernel: kernel, stride: stride, padding: padding).macs
    }
}
