// `cohort bench …`: engine benchmarks that print figures (never assertions).
import ArgumentParser
import BLAS
import Foundation
import ImageIO
import Training

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the math and image pipeline (use a release build).",
        subcommands: [
            BenchSgemmCommand.self, BenchDecodeCommand.self, BenchTrainCommand.self, BenchIngestCommand.self, BenchNearDuplicatesCommand.self
        ])
}

/// Prints a Codable value as JSON on one line.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct BenchSgemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm",
        abstract: "GFLOP/s of OpenBLAS sgemm for 1024³ and Cohort's convolution shapes, at 1 and 2 threads.")

    @Flag(help: "Print {\"core\": ..., \"results\": [...]} as JSON.")
    var json = false

    @Option(help: "Thread counts to measure (comma-separated).")
    var threads = "1,2"

    @Flag(help: "Let OpenBLAS's own thread pool split each product (default: Cohort's split over single-threaded calls).")
    var openblasThreading = false

    struct Report: Codable {
        var core: String
        var results: [SgemmBenchmark.Result]
    }

    func run() throws {
        let counts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let report = Report(core: BLAS.coreName, results: SgemmBenchmark.run(threads: counts, openBLASThreading: openblasThreading))
        if json { return try printJSON(report) }
        print("OpenBLAS core: \(report.core)  (CPU: \(CPUFeatures.current))")
        var rows = [["M", "N", "K", "THREADS", "GFLOP/S"]]
        for r in report.results {
            rows.append([String(r.m), String(r.n), String(r.k), String(r.threads), String(format: "%.1f", r.gflops)])
        }
        print(TextTable.render(rows))
    }
}

struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Images/s for read + decode + preprocess to 64 and 128 px over every PNG/JPEG/DICOM file under a directory.")

    @Option(help: "Directory searched recursively for .png/.jpg/.jpeg files and DICOM files (by content).")
    var dir: String

    @Option(help: "Worker threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print the results as JSON.")
    var json = false

    func run() throws {
        let files = DecodeBenchmark.imageFiles(under: dir)
        guard !files.isEmpty else { throw ValidationError("no .png/.jpg/.jpeg or DICOM files under \(dir)") }
        let results = DecodeBenchmark.run(files: files, threads: max(1, threads))
        if json { return try printJSON(results) }
        var rows = [["SIZE", "THREADS", "FILES", "REFUSED", "IMAGES/S"]]
        for r in results {
            rows.append([
                String(r.size), String(r.threads), String(r.files), String(r.failures),
                String(format: "%.1f", r.imagesPerSecond)
            ])
        }
        print(TextTable.render(rows))
    }
}

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Images/s of a training step and of inference for the benchmark cGAN or classifier.")

    @Option(help: "cgan (64 px, batch 64) or classifier (128 px, batch 32).")
    var model: String = "cgan"

    @Option(help: "Batch size (default: 64 for cgan, 32 for classifier).")
    var batch: Int?

    @Option(help: "Timed steps after 3 warm-up steps; the median is reported.")
    var steps = 20

    @Option(help: "Worker threads for the kernels and matrix products.")
    var threads = 2

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        guard let kind = TrainingBenchmark.Model(rawValue: model) else {
            throw ValidationError("--model must be cgan or classifier")
        }
        let result = TrainingBenchmark.run(model: kind, batch: batch ?? (kind == .cgan ? 64 : 32), steps: steps, threads: threads)
        if json { return try printJSON(result) }
        print(
            String(
                format: "%@: batch %d, %d threads: train %.1f images/s (%.1f GFLOP/s), inference %.1f images/s, peak RSS %.0f MiB",
                result.model, result.batch, result.threads, result.trainImagesPerSecond, result.gflops,
                result.inferenceImagesPerSecond, Double(result.peakRSSBytes) / 1_048_576))
    }
}
