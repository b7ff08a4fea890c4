// Checkpoints: PyTorch names and shapes, optimizer state and step, atomic writes, and loading that
// names the first missing or mis-shaped tensor.
import CohortTestSupport
import Foundation
import NN
import Tensor
import Testing

@Suite struct CheckpointTests {
    func model(seed: UInt64) -> (ParameterStore, Adam) {
        var rng = RandomGenerator(seed: seed)
        let store = ParameterStore()
        _ = Conv2D("net.0", store: store, workspace: Workspace(), inChannels: 2, outChannels: 3, kernel: 3, rng: &rng)
        _ = BatchNorm("net.1", store: store, channels: 3, rng: &rng)
        store.finalize()
        return (store, Adam(parameterCount: store.parameterCount, learningRate: 1e-3))
    }

    @Test func roundTripWithOptimizerState() throws {
        let dir = try TemporaryDirectory()
        let (store, adam) = model(seed: 1)
        for i in 0..<store.parameterCount { store.gradients[i] = Float(i % 5) - 2 }
        adam.update(store)
        adam.update(store)
        store.buffers[0] = 0.25
        var file = SafeTensorsFile()
        Checkpoint.add(store, optimizer: adam, to: &file)
        file.metadata["note"] = "test"
        let path = dir.file("model.safetensors")
        try file.write(to: path)
        // Also export for the PyTorch-side check: python3 Tests/Fixtures/make_fixtures.py --check-checkpoint …
        if let export = ProcessInfo.processInfo.environment["COHORT_CHECKPOINT_EXPORT"] { try file.write(to: export) }

        let loaded = try SafeTensorsFile.read(path)
        #expect(loaded["net.0.weight"]?.shape == [3, 2, 3, 3])
        #expect(loaded["net.1.num_batches_tracked"]?.shape == [])
        if case .int64 = loaded["net.1.num_batches_tracked"]?.values {} else { Issue.record("num_batches_tracked must be I64") }
        #expect(loaded.metadata["optimizer.step"] == "2" && loaded.metadata["note"] == "test")
        let (other, otherAdam) = model(seed: 2)
        try Checkpoint.load(other, optimizer: otherAdam, from: loaded, path: path)
        #expect(other.values.array == store.values.array)
        #expect(other.buffers.array == store.buffers.array)
        #expect(otherAdam.firstMoment.array == adam.firstMoment.array && otherAdam.secondMoment.array == adam.secondMoment.array)
        #expect(otherAdam.step == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    @Test func loadingNamesTheMissingOrMisshapedTensor() throws {
        let (store, _) = model(seed: 1)
        var file = SafeTensorsFile()
        Checkpoint.add(store, to: &file)
        var missing = file
        missing.tensors["net.1.running_var"] = nil
        do {
            try Checkpoint.load(store, from: missing, path: "ckpt.safetensors")
            Issue.record("a missing tensor was accepted")
        } catch let error as SafeTensorsError {
            #expect(error.tensor == "net.1.running_var" && error.description.contains("missing"))
        }
        var misshaped = file
        misshaped.tensors["net.0.weight"] = SafeTensor(shape: [3, 2, 1, 9], floats: [Float](repeating: 0, count: 54))
        do {
            try Checkpoint.load(store, from: misshaped, path: "ckpt.safetensors")
            Issue.record("a mis-shaped tensor was accepted")
        } catch let error as SafeTensorsError {
            #expect(error.tensor == "net.0.weight" && error.description.contains("[3, 2, 1, 9]"))
        }
    }

    @Test func corruptFilesAreRefused() {
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.parse([1, 2, 3], file: "short") }
        var header = Array("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        bytes += [UInt8](repeating: 0, count: 8)  // 8 of the 16 data bytes
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.parse(bytes, file: "truncated") }
    }
}
