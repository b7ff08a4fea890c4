// EfficientNetV2's two block types (Tan & Le 2021, Table 1; torchvision's efficientnet_v2 layout):
// Fused-MBConv — a 3×3 convolution does the expansion (and the stride), then a 1×1 projection;
// MBConv — 1×1 expansion, 3×3 depthwise, squeeze-excitation, 1×1 projection. Both add the input back
// when stride is 1 and the channel count is unchanged.
import Kernels
import NN
import Tensor

public final class FusedMBConv: Layer {
    let expand: ConvBN
    let project: ConvBN?
    let residual: Bool
    private var inputGrad: Tensor?

    public init(
        _ name: String, store: ParameterStore, workspace: Workspace, inChannels: Int, outChannels: Int, expansion: Int,
        stride: Int, rng: inout RandomGenerator
    ) {
        residual = stride == 1 && inChannels == outChannels
        if expansion == 1 {
            expand = ConvBN(
                "\(name).conv", store: store, workspace: workspace, inChannels: inChannels, outChannels: outChannels,
                kernel: 3, stride: stride, activation: .silu, rng: &rng)
            project = nil
        } else {
            let hidden = inChannels * expansion
            expand = ConvBN(
                "\(name).expand", store: store, workspace: workspace, inChannels: inChannels, outChannels: hidden,
                kernel: 3, stride: stride, activation: .silu, rng: &rng)
            project = ConvBN(
                "\(name).project", store: store, workspace: workspace, inChannels: hidden, outChannels: outChannels,
                kernel: 1, activation: .identity, rng: &rng)
        }
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        var y = expand.forward(x, mode: mode, slot: slot)
        if let project { y = project.forward(y, mode: mode, slot: slot) }
        if residual { addInPlace(y, x) }
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        var d = dy
        if let project { d = project.backward(d, slot: slot, parameterGradients: parameterGradients) }
        let dx = expand.backward(d, slot: slot, parameterGradients: parameterGradients)
        if residual { addInPlace(dx, dy) }
        return dx
    }

    public func macs(h: Int, w: Int) -> Int {
        let stride = expand.conv.stride
        return expand.macs(h: h, w: w) + (project?.macs(h: h / stride, w: w / stride) ?? 0)
    }
}

public final class MBConv: Layer {
    let expand: ConvBN
    let depthwise: ConvBN
    let se: SqueezeExcitation
    let project: ConvBN
    let residual: Bool

    public init(
        _ name: String, store: ParameterStore, workspace: Workspace, inChannels: Int, outChannels: Int, expansion: Int,
        stride: Int, rng: inout RandomGenerator
    ) {
        residual = stride == 1 && inChannels == outChannels
        let hidden = inChannels * expansion
        expand = ConvBN(
            "\(name).expand", store: store, workspace: workspace, inChannels: inChannels, outChannels: hidden,
            kernel: 1, activation: .silu, rng: &rng)
        depthwise = ConvBN(
            "\(name).depthwise", store: store, workspace: workspace, inChannels: hidden, outChannels: hidden,
            kernel: 3, stride: stride, groups: hidden, activation: .silu, rng: &rng)
        se = SqueezeExcitation("\(name).se", store: store, channels: hidden, reduced: max(1, inChannels / 4), rng: &rng)
        project = ConvBN(
            "\(name).project", store: store, workspace: workspace, inChannels: hidden, outChannels: outChannels,
            kernel: 1, activation: .identity, rng: &rng)
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let h = depthwise.forward(expand.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
        let y = project.forward(se.forward(h, mode: mode, slot: slot), mode: mode, slot: slot)
        if residual { addInPlace(y, x) }
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        let d = se.backward(
            project.backward(dy, slot: slot, parameterGradients: parameterGradients), slot: slot, parameterGradients: parameterGradients)
        let dx = expand.backward(
            depthwise.backward(d, slot: slot, parameterGradients: parameterGradients), slot: slot, parameterGradients: parameterGradients)
        if residual { addInPlace(dx, dy) }
        return dx
    }

    public func macs(h: Int, w: Int) -> Int {
        let stride = depthwise.conv.stride
        let (oh, ow) = (h / stride, w / stride)
        return expand.macs(h: h, w: w) + depthwise.macs(h: h, w: w) + project.macs(h: oh, w: ow) + oh * ow * se.channels
            + 2 * se.channels * se.reduced
    }
}

/// y += x elementwise (the residual connection; y is a buffer the caller owns).
func addInPlace(_ y: Tensor, _ x: Tensor) {
    precondition(y.count == x.count, "residual: \(y.shape) + \(x.shape)")
    let (yd, xd) = (y.data, x.data)
    Parallel.forEachChunk(y.count, minimumPerChunk: 16384) { range in
        for i in range { yd[i] += xd[i] }
    }
}
