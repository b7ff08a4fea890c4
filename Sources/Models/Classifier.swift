// The EfficientNetV2-style classifier of the paper's experiment, sized for 128×128 grayscale scans
// (Tan & Le 2021, EfficientNetV2-S's first stages, narrowed): stem 3×3 s2 → Fused-MBConv ×1 (e1, 24)
// → Fused-MBConv ×2 (e4, 48, s2) → MBConv+SE ×2 (e4, 64, s2) → MBConv+SE ×3 (e4, 128, s2) →
// MBConv+SE ×3 (e6, 160) → 1×1 head to 640 → average pool → dropout → Linear. ≈1.78 M parameters,
// ≈0.5 GFLOP per 128 px image. Width and depth are configurable; names match bench/torch_models.py.
import Kernels
import NN
import Tensor

public final class Classifier {
    /// One stage: block type, expansion, output channels, stride of its first block, block count.
    public struct Stage: Sendable, Equatable {
        public var fused: Bool
        public var expansion: Int
        public var channels: Int
        public var stride: Int
        public var blocks: Int
        public init(fused: Bool, expansion: Int, channels: Int, stride: Int, blocks: Int) {
            self.fused = fused; self.expansion = expansion; self.channels = channels; self.stride = stride; self.blocks = blocks
        }
    }

    public struct Configuration: Sendable, Equatable {
        public var classes: Int
        public var stemChannels: Int
        public var stages: [Stage]
        public var headChannels: Int
        public var dropout: Float
        public init(
            classes: Int = 4, stemChannels: Int = 24, stages: [Stage] = Configuration.efficientNetV2Stages,
            headChannels: Int = 640, dropout: Float = 0.2
        ) {
            self.classes = classes; self.stemChannels = stemChannels; self.stages = stages
            self.headChannels = headChannels; self.dropout = dropout
        }

        public static let efficientNetV2Stages = [
            Stage(fused: true, expansion: 1, channels: 24, stride: 1, blocks: 1),
            Stage(fused: true, expansion: 4, channels: 48, stride: 2, blocks: 2),
            Stage(fused: false, expansion: 4, channels: 64, stride: 2, blocks: 2),
            Stage(fused: false, expansion: 4, channels: 128, stride: 2, blocks: 3),
            Stage(fused: false, expansion: 6, channels: 160, stride: 1, blocks: 3)
        ]

        /// Channel widths scaled by `width` (rounded to multiples of 8) and block counts by `depth`.
        public func scaled(width: Double, depth: Double) -> Configuration {
            func round8(_ c: Int) -> Int { max(8, Int((Double(c) * width / 8).rounded()) * 8) }
            var copy = self
            copy.stemChannels = round8(stemChannels)
            copy.headChannels = round8(headChannels)
            copy.stages = stages.map {
                Stage(
                    fused: $0.fused, expansion: $0.expansion, channels: round8($0.channels), stride: $0.stride,
                    blocks: max(1, Int((Double($0.blocks) * depth).rounded(.up))))
            }
            return copy
        }
    }

    public let configuration: Configuration
    public let store = ParameterStore()
    let workspace = Workspace()
    let stem: ConvBN
    let blocks: [Layer]
    let head: ConvBN
    let pool = GlobalAveragePool()
    let dropout: Dropout
    let classifier: Linear

    public init(_ configuration: Configuration = Configuration(), seed: UInt64) {
        self.configuration = configuration
        var rng = RandomGenerator(seed: seed)
        let c = configuration
        stem = ConvBN(
            "stem", store: store, workspace: workspace, inChannels: 1, outChannels: c.stemChannels, kernel: 3, stride: 2,
            activation: .silu, rng: &rng)
        var blocks: [Layer] = []
        var channels = c.stemChannels
        for (s, stage) in c.stages.enumerated() {
            for b in 0..<stage.blocks {
                let name = "stages.\(s).\(b)"
                let stride = b == 0 ? stage.stride : 1
                if stage.fused {
                    blocks.append(
                        FusedMBConv(
                            name, store: store, workspace: workspace, inChannels: channels, outChannels: stage.channels,
                            expansion: stage.expansion, stride: stride, rng: &rng))
                } else {
                    blocks.append(
                        MBConv(
                            name, store: store, workspace: workspace, inChannels: channels, outChannels: stage.channels,
                            expansion: stage.expansion, stride: stride, rng: &rng))
                }
                channels = stage.channels
            }
        }
        self.blocks = blocks
        head = ConvBN(
            "head", store: store, workspace: workspace, inChannels: channels, outChannels: c.headChannels, kernel: 1,
            activation: .silu, rng: &rng)
        dropout = Dropout(probability: c.dropout, seed: rng.next())
        classifier = Linear("classifier", store: store, inFeatures: c.headChannels, outFeatures: c.classes, rng: &rng)
        store.finalize()
    }

    /// Penultimate features [N, head channels] (after pooling, before dropout) for images [N, S, S, 1].
    public func features(_ images: Tensor, mode: Mode, slot: Int = 0) -> Tensor {
        var x = stem.forward(images, mode: mode, slot: slot)
        for block in blocks { x = block.forward(x, mode: mode, slot: slot) }
        return pool.forward(head.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
    }

    /// Logits [N, classes].
    public func forward(_ images: Tensor, mode: Mode, slot: Int = 0) -> Tensor {
        classifier.forward(dropout.forward(features(images, mode: mode, slot: slot), mode: mode, slot: slot), mode: mode, slot: slot)
    }

    /// Accumulates parameter gradients from dL/dlogits.
    public func backward(_ dLogits: Tensor, slot: Int = 0) {
        var d = pool.backward(
            dropout.backward(classifier.backward(dLogits, slot: slot, parameterGradients: true), slot: slot, parameterGradients: true),
            slot: slot, parameterGradients: true)
        d = head.backward(d, slot: slot, parameterGradients: true)
        for block in blocks.reversed() { d = block.backward(d, slot: slot, parameterGradients: true) }
        // The stem's input is the image: its gradient is never needed.
        _ = stem.conv.backward(stem.bn.backward(d, slot: slot, parameterGradients: true), slot: slot, parameterGradients: true, inputGradient: false)
    }

    /// Forward multiply–adds per image of `size × size`.
    public func macsPerImage(size: Int) -> Int {
        var h = size
        var total = stem.macs(h: h, w: h)
        h /= 2
        for block in blocks {
            if let b = block as? FusedMBConv {
                total += b.macs(h: h, w: h)
                h /= b.expand.conv.stride
            } else if let b = block as? MBConv {
                total += b.macs(h: h, w: h)
                h /= b.depthwise.conv.stride
            }
        }
        return total + head.macs(h: h, w: h) + configuration.headChannels * configuration.classes
    }
}
