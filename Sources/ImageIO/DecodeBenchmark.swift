// `cohort bench decode`: throughput of read + decode + preprocess, the work ingest does per file.
import Dispatch
import Foundation

/// Measures images/s of decode + resize/crop/normalize over every image file under a directory.
public enum DecodeBenchmark {
    public struct Result: Codable, Sendable {
        public var size: Int
        public var threads: Int
        public var files: Int
        public var failures: Int
        public var imagesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case size, threads, files, failures
            case imagesPerSecond = "images_per_second"
        }
    }

    /// Image files under `directory`, sorted: PNG and JPEG by extension, DICOM by content (any name).
    public static func imageFiles(under directory: String) -> [String] {
        let extensions: Set<String> = ["png", "jpg", "jpeg"]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            if extensions.contains((relative as NSString).pathExtension.lowercased()) || DICOMPathRedaction.isDICOM(path) {
                files.append(path)
            }
        }
        return files.sorted()
    }

    /// Decodes every file to each size with `threads` workers; repeats passes for ≥ `minSeconds`.
    public static func run(files: [String], sizes: [Int] = [64, 128], threads: Int, minSeconds: Double = 2)
        -> [Result]
    {
        let decoder = ImageDecoder()
        return sizes.map { size in
            let failures = Counter()
            var processed = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    for index in stride(from: worker, to: files.count, by: threads) {
                        do {
                            let decoded = try decoder.decode(path: files[index])
                            _ = Preprocessor.modelInput(decoded.image, size: size)
                        } catch {
                            failures.increment()
                        }
                    }
                }
                processed += files.count
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while elapsed < minSeconds && !files.isEmpty
            let passes = max(1, processed / max(files.count, 1))
            return Result(
                size: size, threads: threads, files: files.count, failures: failures.value / passes,
                imagesPerSecond: Double(processed) / elapsed)
        }
    }
}

/// A thread-safe counter for the benchmark's failure tally.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
