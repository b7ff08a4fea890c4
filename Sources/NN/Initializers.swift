// Weight initialization: PyTorch's defaults and DCGAN's.
// PyTorch's Conv/Linear reset_parameters: kaiming_uniform_(a = √5) ⇒ U(−1/√fan_in, 1/√fan_in) for the
// weight, the same bound for the bias (https://pytorch.org/docs/stable/nn.init.html). fan_in is
// size(1)·kh·kw — for a transposed convolution that is Cout/G·kh·kw, as PyTorch computes it.
// DCGAN (Radford et al. 2016): weights N(0, 0.02); batch-norm scale N(1, 0.02), shift 0.
import Tensor

public enum Initializer: Sendable, Equatable {
    /// PyTorch's default for the layer type.
    case pytorchDefault
    /// DCGAN's N(0, 0.02) for conv, transposed conv and linear weights (biases zero).
    case dcgan

    /// Initial weight values for a tensor of `shape` with the given fan-in.
    func weights(_ count: Int, fanIn: Int, rng: inout RandomGenerator) -> [Float] {
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(fanIn).squareRoot()
            return (0..<count).map { _ in rng.uniform(-bound, bound) }
        case .dcgan:
            return (0..<count).map { _ in rng.normal(mean: 0, std: 0.02) }
        }
    }

    func bias(_ count: Int, fanIn: Int, rng: inout RandomGenerator) -> [Float] {
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(fanIn).squareRoot()
            return (0..<count).map { _ in rng.uniform(-bound, bound) }
        case .dcgan:
            return [Float](repeating: 0, count: count)
        }
    }

    func batchNormScale(_ count: Int, rng: inout RandomGenerator) -> [Float] {
        switch self {
        case .pytorchDefault: return [Float](repeating: 1, count: count)
        case .dcgan: return (0..<count).map { _ in rng.normal(mean: 1, std: 0.02) }
        }
    }
}
