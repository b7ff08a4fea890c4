// Maps a function over 0..<count on the configured workers, keeping results in order: the shape of
// decoding a tree of scans, fingerprinting them, or comparing candidate pairs. The worker count is the
// engine's (`Parallel.workers`: cohortd's `threads`, else every core), so a daemon told to use one
// thread decodes one scan at a time too — and holds one decode's memory, not one per core.
import Dispatch
import Foundation
import Kernels

public enum ParallelMap {
    /// [body(0), body(1), …] computed concurrently; indices are dealt round-robin to `workers` workers
    /// (default: `Parallel.workers`; cohortd's ingest passes what its compute budget leaves).
    public static func map<T>(_ count: Int, workers: Int = Parallel.workers, _ body: (Int) -> T) -> [T] {
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let workers = max(1, min(count, workers))
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
