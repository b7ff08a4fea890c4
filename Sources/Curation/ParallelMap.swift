// Maps a function over 0..<count on a given number of workers, keeping results in order: the shape of
// decoding a tree of scans, fingerprinting them, or comparing candidate pairs. Callers pass their compute
// budget (cohortd's `threads`, the engine's `Parallel.workers`), so a daemon told to use one thread decodes
// one scan at a time too — and holds one decode's memory, not one per core.
import Dispatch
import Foundation

public enum ParallelMap {
    /// [body(0), body(1), …] computed concurrently; indices are dealt round-robin to `workers` workers
    /// (default: every processor; cohortd and the engine pass their own budget).
    public static func map<T>(_ count: Int, workers: Int = processors, progress: ProgressMeter? = nil, _ body: (Int) -> T) -> [T] {
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let workers = max(1, min(count, workers))
        // Each index is written by exactly one worker.
        let base = UInt(bitPattern: results.baseAddress)
        withoutActuallyEscaping(body) { body in
            // Called concurrently for distinct indices: callers pass bodies that only read shared state
            // (the contract of every use: decode file i, compare row i).
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let out = UnsafeMutablePointer<T?>(bitPattern: base)!
                for i in stride(from: worker, to: count, by: workers) {
                    out[i] = body(i)
                    progress?.advance()
                }
            }
        }
        return results.map { $0! }
    }

    /// Every processor this process may run on.
    public static var processors: Int { ProcessInfo.processInfo.activeProcessorCount }
}
