// Conv2D layer over channels-last [N, H, W, Cin] → [N, OH, OW, Cout]: stride, padding, groups
// (depthwise when groups = Cin = Cout), optional bias. Weight `name.weight` [Cout, Cin/G, K, K] and
// `name.bias` [Cout], as torch.nn.Conv2d.
import Kernels
import Tensor

public final class Conv2D: Layer {
    public let inChannels, outChannels, kernel, stride, padding, groups: Int
    let store: ParameterStore
    let workspace: Workspace
    public let weight: ParameterRef
    public let bias: ParameterRef?
    private var packed: Tensor?
    private var packedGrad: Tensor?
    /// The folded forward's scaled weights: never `packed`, which backward reads for the training forwards.
    private var foldedPacked: Tensor?
    private var saved = Slots<(input: Tensor, shape: Conv2DShape)>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(
        _ name: String, store: ParameterStore, workspace: Workspace, inChannels: Int, outChannels: Int,
        kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1, bias: Bool = true,
        initializer: Initializer = .pytorchDefault, rng: inout RandomGenerator
    ) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "Conv2D \(name): channels not divisible by groups")
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding; self.groups = groups
        self.store = store; self.workspace = workspace
        let fanIn = inChannels / groups * kernel * kernel
        let shape = [outChannels, inChannels / groups, kernel, kernel]
        weight = store.register("\(name).weight", shape: shape, initial: initializer.weights(shape.reduce(1, *), fanIn: fanIn, rng: &rng))
        self.bias = bias ? store.register("\(name).bias", shape: [outChannels], initial: initializer.bias(outChannels, fanIn: fanIn, rng: &rng)) : nil
    }

    var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }

    /// The call's shape and `slot`'s output buffer for input `x` [N, H, W, Cin].
    private func prepare(_ x: Tensor, slot: Int) -> (Conv2DShape, Tensor) {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels, "Conv2D: input \(x.shape) is not [N, H, W, \(inChannels)]")
        let s = Conv2DShape(
            n: x.shape[0], h: x.shape[1], w: x.shape[2], cin: inChannels, cout: outChannels,
            kernel: kernel, stride: stride, padding: padding, groups: groups)
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, [s.n, s.oh, s.ow, outChannels])
        outputs[slot] = slotOutput
        return (s, y)
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let (s, y) = prepare(x, slot: slot)
        let w = store.value(weight)
        let p = reuse(&packed, [outChannels * s.k])
        let b = bias.map { UnsafePointer(store.value($0)) }
        if isDepthwise {
            DepthwiseConv2DKernel.packWeights(w, s, into: p.data)
            DepthwiseConv2DKernel.forward(out: y.data, x: x.data, packedWeight: p.data, bias: b, shape: s)
        } else {
            Conv2DKernel.packWeights(w, s, into: p.data)
            Conv2DKernel.forward(out: y.data, x: x.data, packedWeight: p.data, bias: b, shape: s, scratch: workspace.scratch)
        }
        saved[slot] = (x, s)
        return y
    }

    /// Inference forward with a per-output-channel affine folded in and an activation fused:
    /// y = f(conv(x) · scale + shift), computed as a convolution with weights w·scale and bias
    /// shift + b·scale whose bias and activation are applied to each output tile while it is in cache
    /// (batch norm after a convolution at inference is such an affine: BatchNorm.inferenceAffine).
    /// Keeps nothing for backward: a backward of `slot` afterwards is a programming error.
    public func forwardFolded(_ x: Tensor, scale: [Float], shift: [Float], activation: Activation, slot: Int) -> Tensor {
        precondition(scale.count == outChannels && shift.count == outChannels, "Conv2D: folded affine is not per output channel")
        let (s, y) = prepare(x, slot: slot)
        let p = reuse(&foldedPacked, [outChannels * s.k])
        let foldedBias = foldedBias(shift: shift, scale: scale, bias: bias, store: store)
        foldedBias.withUnsafeBufferPointer { foldedBias in
            if isDepthwise {
                // Packed [KH, KW, C]: channel co's weights are every C-th value.
                DepthwiseConv2DKernel.packWeights(store.value(weight), s, into: p.data)
                for tap in 0..<(s.kh * s.kw) {
                    for co in 0..<outChannels { p.data[tap * outChannels + co] *= scale[co] }
                }
                DepthwiseConv2DKernel.forward(
                    out: y.data, x: x.data, packedWeight: p.data, bias: foldedBias.baseAddress, activation: activation, shape: s)
            } else {
                // Packed [Cout, K]: channel co's weights are row co.
                Conv2DKernel.packWeights(store.value(weight), s, into: p.data)
                for co in 0..<outChannels {
                    for j in 0..<s.k { p.data[co * s.k + j] *= scale[co] }
                }
                Conv2DKernel.forward(
                    out: y.data, x: x.data, packedWeight: p.data, bias: foldedBias.baseAddress, activation: activation,
                    pointwiseInChunks: true, shape: s, scratch: workspace.scratch)
            }
        }
        saved[slot] = nil
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        backward(dy, slot: slot, parameterGradients: parameterGradients, inputGradient: true)!
    }

    /// Backward that can skip dL/dx: a network's first layer never needs the gradient of its images,
    /// and computing it (a GEMM plus col2im over full-size images) is wasted work. Returns nil then.
    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool, inputGradient: Bool) -> Tensor? {
        guard let (x, s) = saved[slot] else { preconditionFailure("Conv2D: backward without forward in slot \(slot)") }
        let dx: Tensor? = inputGradient ? reuse(&inputGrad, x.shape) : nil
        let pg = parameterGradients ? reuse(&packedGrad, [outChannels * s.k]).data : nil
        let bg = parameterGradients ? bias.map { store.gradient($0) } : nil
        let p = packed!
        if isDepthwise {
            DepthwiseConv2DKernel.backward(dx: dx?.data, packedWeightGrad: pg, biasGrad: bg, dOut: dy.data, x: x.data, packedWeight: p.data, shape: s)
            if let pg { DepthwiseConv2DKernel.unpackAccumulate(pg, s, into: store.gradient(weight)) }
        } else {
            Conv2DKernel.backward(
                dx: dx?.data, packedWeightGrad: pg, biasGrad: bg, dOut: dy.data, x: x.data, packedWeight: p.data,
                shape: s, scratch: workspace.scratch)
            if let pg { Conv2DKernel.unpackAccumulate(pg, s, into: store.gradient(weight)) }
        }
        return dx
    }

    /// Forward multiply–adds for an input of `h × w` (per image).
    public func macs(h: Int, w: Int) -> Int {
        Conv2DShape(n: 1, h: h, w: w, cin: inChannels, cout: outChannels, kernel: kernel, stride: stride, padding: padding, groups: groups).macs
    }
}

/// The bias of a folded forward: shift + b·scale, a layer's own bias `b` (if any) carried through the
/// per-output-channel affine (Conv2D and ConvTranspose2D `forwardFolded`).
func foldedBias(shift: [Float], scale: [Float], bias: ParameterRef?, store: ParameterStore) -> [Float] {
    guard let bias else { return shift }
    let b = store.value(bias)
    return shift.indices.map { shift[$0] + b[$0] * scale[$0] }
}
