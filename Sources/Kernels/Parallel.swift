// Parallel loops for the non-GEMM kernels: split over the batch (or rows) into one chunk per core.
// GEMMs are threaded by OpenBLAS itself; these loops run between them, never at the same time.
import Dispatch

public enum Parallel {
    /// Cores available to the process.
    public static let coreCount = max(1, sysconfCores())

    /// Worker threads the kernels use (GEMM splits and parallel loops). Set once at start-up, before
    /// any training (`--threads`); defaults to every core.
    nonisolated(unsafe) public static var workers = coreCount

    /// Calls `body(range)` for disjoint ranges covering 0..<count, concurrently when worth it.
    @inlinable
    public static func forEachChunk(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, max(1, count / max(1, minimumPerChunk)))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                if start < end { body(start..<end) }
            }
        }
    }

    /// Splits 0..<count into one contiguous range per worker and calls `body(worker, range)` concurrently;
    /// `worker` (0..<workers) indexes per-thread scratch buffers.
    @inlinable
    public static func forEachWorker(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let parts = min(workers, count)
        if parts <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (count * part / parts)..<(count * (part + 1) / parts)
                if !range.isEmpty { body(part, range) }
            }
        }
    }

    private static func sysconfCores() -> Int {
        #if canImport(Glibc)
            return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
            return 1
        #endif
    }
}

#if canImport(Glibc)
    import Glibc
#endif
