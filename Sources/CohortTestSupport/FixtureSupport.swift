// Loading the PyTorch-made fixtures (Tests/Fixtures/*.safetensors, written by make_fixtures.py) and
// comparing against them. Fixtures are NCHW like PyTorch; the engine is NHWC.
import Kernels
import NN
import Tensor
import Testing

public enum Fixtures {
    public static let formatVersion = "3"

    public static func load(_ name: String) throws -> SafeTensorsFile {
        let path = "\(SharedData.repositoryRoot)/Tests/Fixtures/\(name)"
        let file = try SafeTensorsFile.read(path)
        #expect(
            file.metadata["format_version"] == formatVersion,
            "\(name) has format \(file.metadata["format_version"] ?? "none"); regenerate: python3 Tests/Fixtures/make_fixtures.py")
        return file
    }
}

extension SafeTensorsFile {
    public func floats(_ name: String) -> [Float] {
        guard let tensor = self[name] else {
            Issue.record("fixture tensor \(name) is missing")
            return []
        }
        return tensor.floats
    }

    public func shape(_ name: String) -> [Int] { self[name]?.shape ?? [] }

    /// A fixture tensor as an engine tensor: 4-D NCHW becomes NHWC, others are copied as they are.
    public func tensor(_ name: String) -> Tensor {
        let shape = shape(name)
        let values = floats(name)
        if shape.count == 4 {
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let out = Tensor(shape: [n, h, w, c])
            values.withUnsafeBufferPointer { LayoutKernel.nchwToNHWC($0.baseAddress!, out.data, n: n, c: c, h: h, w: w) }
            return out
        }
        return Tensor(shape: shape, values: values)
    }
}

/// An engine tensor's values in PyTorch order (NHWC → NCHW for 4-D).
public func pytorchOrder(_ t: Tensor) -> [Float] {
    guard t.shape.count == 4 else { return t.array }
    let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var out = [Float](repeating: 0, count: t.count)
    out.withUnsafeMutableBufferPointer { LayoutKernel.nhwcToNCHW(t.data, $0.baseAddress!, n: n, c: c, h: h, w: w) }
    return out
}

/// max|a − b| / max|b|: the error relative to the reference tensor's scale.
public func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count, !b.isEmpty else { return a.count == b.count ? 0 : .infinity }
    var worst = 0.0, scale = 0.0
    for i in 0..<a.count {
        worst = max(worst, abs(Double(a[i]) - Double(b[i])))
        scale = max(scale, abs(Double(b[i])))
    }
    return worst / max(scale, 1e-12)
}

/// Expects `actual` to match the fixture tensor within `tolerance` (max-wise relative, 1e-4 by default):
/// the op fixtures, whose sums are short and whose reference is PyTorch's float32 result. The iteration
/// fixtures use `IterationTolerance`, whose bound follows each tensor's conditioning.
/// Returns the error; appends it to `log` either way.
@discardableResult
public func expectMatches(_ actual: [Float], _ file: SafeTensorsFile, _ name: String, tolerance: Double = 1e-4, log: inout [String]) -> Double {
    let error = relativeError(actual, file.floats(name))
    log.append("\(name): \(error)")
    #expect(error <= tolerance, Comment(rawValue: "\(name): relative error \(error) > \(tolerance)"))
    return error
}

/// Copies fixture values into a store entry.
public func setParameter(_ store: ParameterStore, _ entryName: String, from file: SafeTensorsFile, _ name: String) {
    guard let entry = store.entry(named: entryName) else {
        Issue.record("model has no \(entryName)")
        return
    }
    let values = file.floats(name)
    precondition(values.count == entry.count, "\(name): \(values.count) values for \(entry.shape)")
    let base = (entry.kind == .parameter ? store.values.data : store.buffers.data) + entry.offset
    values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: entry.count) }
}
