// One flat allocation for all of a model's parameters, one for their gradients (llm.c style), plus
// one for buffers such as batch-norm running statistics. The optimizer is then a single loop over a
// slab and a checkpoint is a list of (name, shape, offset) views into it.

/// Which slab an entry lives in.
public enum ParameterKind: Sendable {
    /// Trained by the optimizer; has a gradient.
    case parameter
    /// State updated in the forward pass (running mean/var); saved in checkpoints, never optimized.
    case buffer
    /// An integer counter kept as Float (exact below 2²⁴) and saved as I64 (`num_batches_tracked`).
    case counter
}

/// A named view into a ParameterStore slab.
public struct ParameterEntry: Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: ParameterKind
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A handle a layer keeps to find its parameter.
public struct ParameterRef: Sendable, Hashable {
    public let index: Int
}

/// Owns the slabs. Layers register during construction; `finalize()` then allocates once.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var entries: [ParameterEntry] = []
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0
    private var pendingParameters: [Float] = []
    private var pendingBuffers: [Float] = []
    /// Parameters, their gradients, and buffers, each one contiguous slab.
    public private(set) var values: Tensor = Tensor(shape: [0])
    public private(set) var gradients: Tensor = Tensor(shape: [0])
    public private(set) var buffers: Tensor = Tensor(shape: [0])
    public private(set) var isFinalized = false

    public init() {}

    /// Adds an entry with its initial values (row-major over `shape`, PyTorch layout).
    public func register(_ name: String, shape: [Int], kind: ParameterKind = .parameter, initial: [Float]) -> ParameterRef {
        precondition(!isFinalized, "ParameterStore: register after finalize")
        precondition(initial.count == shape.reduce(1, *), "ParameterStore: \(name) has \(initial.count) values for \(shape)")
        precondition(!entries.contains { $0.name == name }, "ParameterStore: duplicate name \(name)")
        let offset: Int
        if kind == .parameter {
            offset = pendingParameters.count
            pendingParameters += initial
        } else {
            offset = pendingBuffers.count
            pendingBuffers += initial
        }
        entries.append(ParameterEntry(name: name, shape: shape, kind: kind, offset: offset))
        return ParameterRef(index: entries.count - 1)
    }

    /// Allocates the slabs. Gradients start at zero.
    public func finalize() {
        precondition(!isFinalized, "ParameterStore: finalize twice")
        parameterCount = pendingParameters.count
        bufferCount = pendingBuffers.count
        values = Tensor(shape: [parameterCount], values: pendingParameters)
        gradients = Tensor(shape: [parameterCount])
        buffers = Tensor(shape: [bufferCount], values: pendingBuffers)
        pendingParameters = []
        pendingBuffers = []
        isFinalized = true
    }

    public func entry(_ ref: ParameterRef) -> ParameterEntry { entries[ref.index] }

    /// The values of a parameter or buffer.
    @inline(__always)
    public func value(_ ref: ParameterRef) -> UnsafeMutablePointer<Float> {
        let entry = entries[ref.index]
        return (entry.kind == .parameter ? values.data : buffers.data) + entry.offset
    }

    /// The gradient of a parameter (accumulated by backward passes).
    @inline(__always)
    public func gradient(_ ref: ParameterRef) -> UnsafeMutablePointer<Float> {
        let entry = entries[ref.index]
        precondition(entry.kind == .parameter, "ParameterStore: \(entry.name) has no gradient")
        return gradients.data + entry.offset
    }

    /// The entry with this name.
    public func entry(named name: String) -> ParameterEntry? { entries.first { $0.name == name } }

    /// Values of the named entry as an array (tests, checkpoints).
    public func values(named name: String) -> [Float]? {
        guard let index = entries.firstIndex(where: { $0.name == name }) else { return nil }
        let pointer = value(ParameterRef(index: index))
        return Array(UnsafeBufferPointer(start: pointer, count: entries[index].count))
    }

    public func gradients(named name: String) -> [Float]? {
        guard let index = entries.firstIndex(where: { $0.name == name && $0.kind == .parameter }) else { return nil }
        return Array(UnsafeBufferPointer(start: gradient(ParameterRef(index: index)), count: entries[index].count))
    }

    public func zeroGradients() { gradients.zero() }
}
