// Measures sgemm throughput on the shapes Cohort's convolutions produce (see PERFORMANCE.md).
#if canImport(Glibc)
    import Glibc
#endif

/// GFLOP/s of the sgemm Cohort uses — `BLAS.parallelSgemm`, OpenBLAS single-threaded and the product
/// split over `threads` — for given shapes (best of several timed runs).
public enum SgemmBenchmark {
    /// One measured shape: `C[m×n] = A[m×k] · B[k×n]`.
    public struct Result: Codable, Sendable {
        public var m: Int
        public var n: Int
        public var k: Int
        public var threads: Int
        public var gflops: Double
    }

    /// 1024³ and the conv-shaped products (M, N, K) of the issue.
    public static let defaultShapes = [(1024, 1024, 1024), (64, 4096, 576), (128, 1024, 1152), (256, 256, 2304)]

    /// Times each shape at each thread count; each figure is the best of runs totalling ≥ `minSeconds`.
    /// With `openBLASThreading`, OpenBLAS's own thread pool does the splitting (for comparison).
    public static func run(
        shapes: [(Int, Int, Int)] = defaultShapes, threads: [Int] = [1, 2], minSeconds: Double = 0.5,
        openBLASThreading: Bool = false
    ) -> [Result] {
        var results: [Result] = []
        for (m, n, k) in shapes {
            let a = [Float](unsafeUninitializedCapacity: m * k) { buf, count in
                for i in 0..<(m * k) { buf[i] = Float(i % 13) * 0.01 - 0.06 }
                count = m * k
            }
            let b = [Float](unsafeUninitializedCapacity: k * n) { buf, count in
                for i in 0..<(k * n) { buf[i] = Float(i % 7) * 0.02 - 0.06 }
                count = k * n
            }
            var c = [Float](repeating: 0, count: m * n)
            for t in threads {
                var best = Double.infinity
                var total = 0.0
                var runs = 0
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            func once() -> Double {
                                let start = monotonicSeconds()
                                if openBLASThreading {
                                    if BLAS.threadCount != t { BLAS.threadCount = t }
                                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                                } else {
                                    BLAS.parallelSgemm(
                                        m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                                        c: pc.baseAddress!, ldc: n, workers: t)
                                }
                                return monotonicSeconds() - start
                            }
                            _ = once()  // warm-up: thread start, page faults
                            while runs < 5 || total < minSeconds {
                                let seconds = once()
                                best = min(best, seconds)
                                total += seconds
                                runs += 1
                            }
                        }
                    }
                }
                results.append(Result(m: m, n: n, k: k, threads: t, gflops: 2.0 * Double(m * n * k) / best / 1e9))
            }
        }
        return results
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
