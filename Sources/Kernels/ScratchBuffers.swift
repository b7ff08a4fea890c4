// Per-worker scratch memory for the batch-tiled convolution kernels: each worker owns its column
// buffer and weight-gradient partial, so tiles run concurrently without locks. Buffers grow to the
// largest request and are kept, so steady-state training allocates nothing.

public final class ScratchBuffers: @unchecked Sendable {
    private var buffers: [[UnsafeMutablePointer<Float>]] = []
    private var capacities: [[Int]] = []

    public init() {}

    deinit {
        for row in buffers { for pointer in row { pointer.deallocate() } }
    }

    /// Buffer `index` of `worker`, at least `count` floats (contents unspecified). Call from one thread per worker.
    public func buffer(worker: Int, index: Int, count: Int) -> UnsafeMutablePointer<Float> {
        precondition(worker < buffers.count && index < buffers[worker].count, "ScratchBuffers: reserve first")
        if capacities[worker][index] < count {
            buffers[worker][index].deallocate()
            buffers[worker][index] = Self.allocate(count)
            capacities[worker][index] = count
        }
        return buffers[worker][index]
    }

    /// out[0..<count] = Σ over the first `workers` workers of buffer `index` (per-worker partial sums).
    public func sumPartials(index: Int, workers: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: buffer(worker: 0, index: index, count: count), count: count)
        for worker in 1..<max(workers, 1) {
            let partial = buffer(worker: worker, index: index, count: count)
            for i in 0..<count { out[i] += partial[i] }
        }
    }

    /// Makes room for `workers × perWorker` buffer slots; call before a parallel region.
    public func reserve(workers: Int, perWorker: Int) {
        while buffers.count < workers {
            buffers.append([])
            capacities.append([])
        }
        for w in 0..<workers {
            while buffers[w].count < perWorker {
                buffers[w].append(Self.allocate(1))
                capacities[w].append(1)
            }
        }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
    }
}

/// How many images a tile holds: its column buffer near `targetBytes` (half an L2 of 2 MiB), but at
/// least `minimumRows` GEMM rows, because every tile repacks the whole weight matrix and a short GEMM
/// would spend its time packing (measured: tiles of 128 rows made the GAN step 15% slower).
public func imagesPerTile(columnFloatsPerImage: Int, rowsPerImage: Int, images: Int) -> Int {
    if let forced = TileSizing.forcedImagesPerTile { return max(1, min(images, forced)) }
    let byCache = TileSizing.targetBytes / max(1, columnFloatsPerImage * 4)
    let byRows = (TileSizing.minimumRows + rowsPerImage - 1) / max(1, rowsPerImage)
    return max(1, min(images, max(byCache, byRows)))
}

/// The tile-size rule's two bounds, and a task-local override with which a test forces one image per
/// tile so the tiled path is exercised on small batches too. Task-local, not a global: tests run in
/// parallel, and a global override would switch other tests' convolutions to the tiled path (a different
/// order of accumulation) for as long as it is set.
public enum TileSizing {
    public static let targetBytes = 1 << 20
    public static let minimumRows = 512
    /// Images per tile for kernels called from the current task (nil: the cache/row rule).
    @TaskLocal public static var forcedImagesPerTile: Int?
}
