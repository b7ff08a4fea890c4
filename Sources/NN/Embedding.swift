// Embedding table `name.weight` [rows, dim] (torch.nn.Embedding, initialized N(0, 1) as PyTorch does):
// y[n] = weight[index[n]]; backward scatters dy into the rows used.
import Tensor

public final class Embedding {
    public let rows, dimension: Int
    let store: ParameterStore
    public let weight: ParameterRef
    private var saved = Slots<[Int]>()
    private var outputs = Slots<Tensor?>()

    public init(_ name: String, store: ParameterStore, rows: Int, dimension: Int, rng: inout RandomGenerator) {
        self.rows = rows; self.dimension = dimension; self.store = store
        weight = store.register("\(name).weight", shape: [rows, dimension], initial: (0..<(rows * dimension)).map { _ in rng.normal() })
    }

    public func forward(_ indices: [Int], slot: Int = 0) -> Tensor {
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, [indices.count, dimension])
        outputs[slot] = slotOutput
        let table = store.value(weight)
        for (n, index) in indices.enumerated() {
            precondition(index >= 0 && index < rows, "Embedding: index \(index) outside 0..<\(rows)")
            (y.data + n * dimension).update(from: table + index * dimension, count: dimension)
        }
        saved[slot] = indices
        return y
    }

    /// Accumulates dy into the rows that were looked up (no input gradient: indices are discrete).
    public func backward(_ dy: Tensor, slot: Int = 0, parameterGradients: Bool = true) {
        guard parameterGradients else { return }
        guard let indices = saved[slot] else { preconditionFailure("Embedding: backward without forward in slot \(slot)") }
        let grad = store.gradient(weight)
        for (n, index) in indices.enumerated() {
            let row = grad + index * dimension, g = dy.data + n * dimension
            for d in 0..<dimension { row[d] += g[d] }
        }
    }
}
