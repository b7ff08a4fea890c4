// Tensor: a shape and a contiguous, 64-byte aligned Float32 buffer. Activations are channels-last
// (NHWC: N batch, H height, W width, C channels); parameters keep PyTorch's layout so checkpoints
// carry PyTorch names and shapes unchanged.

/// A dense Float32 array with a shape. Reference semantics: kernels write into tensors in place,
/// and layers reuse their output buffers from one step to the next.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public private(set) var shape: [Int]
    /// Number of elements.
    public private(set) var count: Int
    /// The elements, row-major over `shape`.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        count = shape.reduce(1, *)
        capacity = max(count, 1)
        data = Tensor.allocate(capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding `values` (row-major).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// Gives the tensor a new shape, reallocating only when it needs more room. Contents are
    /// unspecified afterwards (callers overwrite them); used to reuse per-step buffers.
    public func reshapeForReuse(_ newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            data.deallocate()
            capacity = newCount
            data = Tensor.allocate(capacity)
        }
        shape = newShape
        count = newCount
    }

    /// Same storage viewed with another shape of the same element count.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == count, "Tensor: cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func zero() { fill(0) }

    /// The elements as an array (tests, checkpoints).
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// Copies `other`'s shape and elements into this tensor.
    public func copy(from other: Tensor) {
        reshapeForReuse(other.shape)
        data.update(from: other.data, count: count)
    }

    public var description: String { "Tensor\(shape)" }
}

/// Returns `slot` reshaped to `shape`, creating it when absent: the per-call buffer cache layers use.
@inlinable
public func reuse(_ slot: inout Tensor?, _ shape: [Int]) -> Tensor {
    if let tensor = slot {
        tensor.reshapeForReuse(shape)
        return tensor
    }
    let tensor = Tensor(shape: shape)
    slot = tensor
    return tensor
}
