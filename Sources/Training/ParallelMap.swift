// Maps a function over 0..<count on every core, keeping results in order: the shape of decoding a
// tree of scans, fingerprinting them, or comparing candidate pairs.
import Dispatch
import Foundation

public enum ParallelMap {
    /// [body(0), body(1), …] computed concurrently; indices are dealt round-robin to one worker per core.
    public static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let workers = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        // Each index is written by exactly one worker.
        let base = UInt(bitPattern: results.baseAddress)
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let out = UnsafeMutablePointer<T?>(bitPattern: base)!
                for i in stride(from: worker, to: count, by: workers) { out[i] = body(i) }
            }
        }
        return results.map { $0! }
    }
}
