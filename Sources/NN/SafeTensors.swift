// The safetensors format (https://huggingface.co/docs/safetensors): u64 little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, raw
// little-endian data. Readable by PyTorch users with `safetensors.torch.load_file`.
import AtomicFile
import Foundation
import Tensor

/// A failure reading or writing a safetensors file, naming the file and, where known, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var tensor: String?
    public var reason: String
    public var description: String {
        "\(file): " + (tensor.map { "tensor \($0): " } ?? "") + reason
    }

    public init(file: String, tensor: String? = nil, reason: String) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }
}

/// One tensor of a safetensors file. Integer tensors are widened to Int64, floats to Float.
public struct SafeTensor: Sendable {
    public enum Values: Sendable {
        case float([Float])
        case int64([Int64])
    }
    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], floats: [Float]) { self.shape = shape; values = .float(floats) }
    public init(shape: [Int], integers: [Int64]) { self.shape = shape; values = .int64(integers) }

    public var floats: [Float] {
        switch values {
        case .float(let v): v
        case .int64(let v): v.map { Float($0) }
        }
    }

    public var integers: [Int64] {
        switch values {
        case .float(let v): v.map { Int64($0) }
        case .int64(let v): v
        }
    }
}

/// A whole safetensors file in memory.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: SafeTensor]
    public var metadata: [String: String]
    /// Names in the order they were added (written in this order).
    public var order: [String]

    public init() { tensors = [:]; metadata = [:]; order = [] }

    public mutating func add(_ name: String, _ tensor: SafeTensor) {
        if tensors[name] == nil { order.append(name) }
        tensors[name] = tensor
    }

    public subscript(name: String) -> SafeTensor? { tensors[name] }

    /// Reads and validates a file.
    public static func read(_ path: String) throws -> SafeTensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(file: path, reason: "cannot read file")
        }
        return try parse([UInt8](data), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> SafeTensorsFile {
        guard bytes.count >= 8 else { throw SafeTensorsError(file: file, reason: "shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength > 0, 8 + headerLength <= bytes.count else {
            throw SafeTensorsError(file: file, reason: "header length \(headerLength) exceeds the file")
        }
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any] else {
            throw SafeTensorsError(file: file, reason: "header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        var result = SafeTensorsFile()
        for (name, value) in header.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                result.metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw SafeTensorsError(file: file, tensor: name, reason: "malformed header entry") }
            let (begin, end) = (dataStart + offsets[0], dataStart + offsets[1])
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            default: throw SafeTensorsError(file: file, tensor: name, reason: "unsupported dtype \(dtype)")
            }
            guard begin <= end, end <= bytes.count, end - begin == count * width else {
                throw SafeTensorsError(file: file, tensor: name, reason: "data offsets do not match \(dtype) \(shape)")
            }
            let tensor: SafeTensor = bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + begin
                switch dtype {
                case "F32":
                    return SafeTensor(
                        shape: shape,
                        floats: (0..<count).map { Float(bitPattern: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) })
                case "F64":
                    return SafeTensor(
                        shape: shape,
                        floats: (0..<count).map {
                            Float(Double(bitPattern: base.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian))
                        })
                case "I32":
                    return SafeTensor(
                        shape: shape,
                        integers: (0..<count).map {
                            Int64(Int32(bitPattern: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian))
                        })
                default:
                    return SafeTensor(
                        shape: shape,
                        integers: (0..<count).map { Int64(bitPattern: base.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) })
                }
            }
            result.add(name, tensor)
        }
        return result
    }

    /// Serializes (F32 and I64), header padded to 8 bytes so data is aligned.
    public func serialized() throws -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for name in order {
            let tensor = tensors[name]!
            let width = 4 * (tensor.values.isInteger ? 2 : 1)
            let size = tensor.shape.reduce(1, *) * width
            header[name] =
                ["dtype": tensor.values.isInteger ? "I64" : "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        out += json
        for name in order {
            switch tensors[name]!.values {
            case .float(let v): v.withUnsafeBytes { out += $0 }  // little-endian host
            case .int64(let v): v.withUnsafeBytes { out += $0 }
            }
        }
        return out
    }

    /// Writes atomically (temporary file, fsync, rename).
    public func write(to path: String) throws {
        try AtomicFile.write(try serialized(), to: path)
    }
}

extension SafeTensor.Values {
    var isInteger: Bool {
        if case .int64 = self { return true }
        return false
    }
}
