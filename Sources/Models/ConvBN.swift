import Kernels
// Convolution (no bias) followed by batch norm with a fused activation: the unit every
// EfficientNetV2 block and the discriminator's down-blocks are built from. Names: `<name>.conv.*`,
// `<name>.bn.*` unless the caller passes its own (the GAN uses Sequential indices).
import NN
import Tensor

public final class ConvBN: Layer {
    public let conv: Conv2D
    public let bn: BatchNorm

    public init(conv: Conv2D, bn: BatchNorm) {
        self.conv = conv
        self.bn = bn
    }

    public convenience init(
        _ name: String, store: ParameterStore, workspace: Workspace, inChannels: Int, outChannels: Int, kernel: Int,
        stride: Int = 1, groups: Int = 1, activation: Kernels.Activation, rng: inout RandomGenerator
    ) {
        let conv = Conv2D(
            "\(name).conv", store: store, workspace: workspace, inChannels: inChannels, outChannels: outChannels,
            kernel: kernel, stride: stride, padding: kernel / 2, groups: groups, bias: false, rng: &rng)
        let bn = BatchNorm("\(name).bn", store: store, channels: outChannels, activation: activation, rng: &rng)
        self.init(conv: conv, bn: bn)
    }

    /// Training: convolution, then batch norm on the batch's statistics (and its activation). Inference:
    /// batch norm folded into the convolution (`Conv2D.forwardFolded`) — one pass over the output instead of
    /// a convolution pass and a normalization pass; the result equals the two layers in inference mode up to
    /// float rounding (test: ConvBNFoldingTests) and keeps nothing for backward.
    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        guard mode == .inference else {
            foldedSlots.remove(slot)
            return bn.forward(conv.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
        }
        foldedSlots.insert(slot)
        let (scale, shift) = bn.inferenceAffine()
        return conv.forwardFolded(x, scale: scale, shift: shift, activation: bn.activation, slot: slot)
    }

    /// Slots whose last forward was the folded inference one (nothing saved for backward).
    private var foldedSlots: Set<Int> = []

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        precondition(!foldedSlots.contains(slot), "ConvBN: backward after an inference forward in slot \(slot) (nothing saved for it)")
        return conv.backward(bn.backward(dy, slot: slot, parameterGradients: parameterGradients), slot: slot, parameterGradients: parameterGradients)
    }

    public func macs(h: Int, w: Int) -> Int { conv.macs(h: h, w: w) }
}
