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

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        bn.forward(conv.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        conv.backward(bn.backward(dy, slot: slot, parameterGradients: parameterGradients), slot: slot, parameterGradients: parameterGradients)
    }

    public func macs(h: Int, w: Int) -> Int { conv.macs(h: h, w: w) }
}
