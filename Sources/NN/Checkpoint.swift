// Model checkpoints as safetensors with PyTorch's state_dict names (`fc.weight`, `bn0.running_mean`,
// `bn0.num_batches_tracked`, …) so `model.load_state_dict(load_file(path))` works in PyTorch, plus the
// optimizer's state under `optimizer.<state>.<parameter>` and the step in the metadata.
import Foundation
import Tensor

public enum Checkpoint {
    /// Adds a store's parameters and buffers (and the optimizer's state) to `file`, names prefixed.
    public static func add(_ store: ParameterStore, optimizer: Optimizer? = nil, prefix: String = "", to file: inout SafeTensorsFile) {
        for entry in store.entries {
            let pointer = (entry.kind == .parameter ? store.values.data : store.buffers.data) + entry.offset
            let values = Array(UnsafeBufferPointer(start: pointer, count: entry.count))
            if entry.kind == .counter {
                file.add(prefix + entry.name, SafeTensor(shape: entry.shape, integers: values.map { Int64($0) }))
            } else {
                file.add(prefix + entry.name, SafeTensor(shape: entry.shape, floats: values))
            }
        }
        guard let optimizer else { return }
        for (stateName, tensor) in optimizer.state {
            for entry in store.entries where entry.kind == .parameter {
                let values = Array(UnsafeBufferPointer(start: tensor.data + entry.offset, count: entry.count))
                file.add("\(prefix)optimizer.\(stateName).\(entry.name)", SafeTensor(shape: entry.shape, floats: values))
            }
        }
        file.metadata["\(prefix)optimizer.step"] = String(optimizer.step)
        file.metadata["\(prefix)optimizer.learning_rate"] = String(optimizer.learningRate)
    }

    /// Loads every entry of `store` (and the optimizer's state when present in the file) from `file`.
    /// Throws naming the first missing or mis-shaped tensor; nothing is changed in that case.
    public static func load(_ store: ParameterStore, optimizer: Optimizer? = nil, prefix: String = "", from file: SafeTensorsFile, path: String)
        throws
    {
        for entry in store.entries {
            let name = prefix + entry.name
            guard let tensor = file[name] else { throw SafeTensorsError(file: path, tensor: name, reason: "missing") }
            guard tensor.shape == entry.shape else {
                throw SafeTensorsError(file: path, tensor: name, reason: "shape \(tensor.shape) does not match the model's \(entry.shape)")
            }
        }
        var optimizerStates: [(Tensor, ParameterEntry, SafeTensor)] = []
        if let optimizer {
            for (stateName, tensor) in optimizer.state {
                for entry in store.entries where entry.kind == .parameter {
                    let name = "\(prefix)optimizer.\(stateName).\(entry.name)"
                    guard let saved = file[name] else { throw SafeTensorsError(file: path, tensor: name, reason: "missing optimizer state") }
                    guard saved.shape == entry.shape else {
                        throw SafeTensorsError(file: path, tensor: name, reason: "shape \(saved.shape) does not match \(entry.shape)")
                    }
                    optimizerStates.append((tensor, entry, saved))
                }
            }
        }
        for entry in store.entries {
            let pointer = (entry.kind == .parameter ? store.values.data : store.buffers.data) + entry.offset
            let values = file[prefix + entry.name]!.floats
            values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: entry.count) }
        }
        for (tensor, entry, saved) in optimizerStates {
            saved.floats.withUnsafeBufferPointer { (tensor.data + entry.offset).update(from: $0.baseAddress!, count: entry.count) }
        }
        if let optimizer, let step = file.metadata["\(prefix)optimizer.step"].flatMap(Int.init) {
            optimizer.step = step
        }
    }
}
