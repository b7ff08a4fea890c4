// Shared driver for gradient checks of layers: random input and upstream gradient, analytic
// gradients from backward, numeric ones from central differences of Σ y·r.
import CohortTestSupport
import NN
import Tensor
import Testing

/// Fills a tensor with values in [low, high) from a seeded generator.
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = rng.uniform(low, high) }
    return t
}

/// Checks dL/dx and every parameter gradient of `layer` (parameters in `store`, already finalized).
func checkGradients(
    _ name: String, layer: Layer, store: ParameterStore, input: Tensor, mode: Mode = .training,
    tolerance: Double = 2e-2, step: Float = 1e-2, checkInput: Bool = true
) {
    let y = layer.forward(input, mode: mode, slot: 0)
    let r = randomTensor(y.shape, seed: 99)
    let rValues = r.array
    store.zeroGradients()
    let dx = layer.backward(r, slot: 0, parameterGradients: true).array
    let parameterGrads = store.entries.filter { $0.kind == .parameter }.map { ($0, store.gradients(named: $0.name)!) }
    let loss: () -> Double = {
        let out = layer.forward(input, mode: mode, slot: 1)
        return GradientCheck.projection(out.data, rValues)
    }
    if checkInput {
        let report = GradientCheck.check("\(name) dx", values: input.data, count: input.count, analytic: dx, step: step, loss: loss)
        #expect(report.worstError < tolerance, "\(report)")
    }
    for (entry, grad) in parameterGrads {
        let pointer = store.values.data + entry.offset
        let report = GradientCheck.check("\(name) d\(entry.name)", values: pointer, count: entry.count, analytic: grad, step: step, loss: loss)
        #expect(report.worstError < tolerance, "\(report)")
    }
}
