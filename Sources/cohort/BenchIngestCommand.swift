// `cohort bench ingest` and `cohort bench near-duplicates`: where operators wait for ingest. The first
// drops a burst of scans into a fresh cohortd's watched folder and reads the daemon's own CPU time from
// /proc; the second times the near-duplicate index alone on synthetic fingerprints (1k … 50k images)
// and, on a real tree, checks that the exact screen changes no pair of the batch grouping.
import ArgumentParser
import Catalog
import Curation
import Foundation
import ImageIO

struct BenchIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Files/s and cohortd CPU ms per file for a burst of scans dropped into a fresh daemon's watched folder.")

    @Option(help: "ImageFolder tree whose files are dropped (hard links; class folders kept).")
    var dir: String

    @Option(help: "Files in the burst: the tree's files, cycled under new names (exact copies) when more are asked for.")
    var files: Int?

    @Option(help: "The dataset's model size (px).")
    var imageSize = 64

    @Option(help: "cohortd to run (default: the one beside this cohort).")
    var cohortd: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Result: Codable {
        var files: Int
        var active: Int
        var duplicates: Int
        var quarantined: Int
        var seconds: Double
        var filesPerSecond: Double
        var cpuSeconds: Double
        var cpuMillisecondsPerFile: Double
        var cpu: String
    }

    func run() throws {
        let folder = try ImageFolder(root: dir)
        guard !folder.items.isEmpty else { throw ValidationError("no images under \(dir)") }
        let count = files ?? folder.items.count
        let daemon = cohortd ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cohortd").path
        guard FileManager.default.isExecutableFile(atPath: daemon) else { throw ValidationError("no cohortd at \(daemon) (--cohortd PATH)") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-bench-ingest-\(getpid())").path
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for sub in ["incoming", "state", "output"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        // No job may start during the burst: the thresholds are out of reach.
        let configuration = """
            state_directory: \(root)/state
            socket_path: \(root)/cohortd.sock
            settle_seconds: 0.5
            datasets: [bench]
            dataset:
              bench:
                watch_root: \(root)/incoming
                output_root: \(root)/output
                image_size: \(imageSize)
            gan:
              min_new_images: 10000000
            classifier:
              interval_minutes: 0
              min_new_images: 10000000

            """
        try configuration.write(toFile: "\(root)/cohortd.yaml", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = ["--config", "\(root)/cohortd.yaml"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let catalogPath = "\(root)/state/catalog.sqlite"
        try waitFor(seconds: 60, "cohortd to start") { FileManager.default.fileExists(atPath: "\(root)/cohortd.sock") }
        for name in folder.classes { try FileManager.default.createDirectory(atPath: "\(root)/incoming/\(name)", withIntermediateDirectories: true) }
        let before = try cpuSeconds(of: process.processIdentifier)
        let start = Date()
        for n in 0..<count {
            let item = folder.items[n % folder.items.count]
            let name = URL(fileURLWithPath: item.path).lastPathComponent
            let copy = n < folder.items.count ? "" : "copy\(n / folder.items.count)-"
            try FileManager.default.linkItem(atPath: item.path, toPath: "\(root)/incoming/\(folder.classes[item.classIndex])/\(copy)\(name)")
        }
        var counts: [CatalogClassCounts] = []
        var catalog: CatalogDatabase?  // opened once the daemon has created it
        try waitFor(seconds: 3600, "the catalog to hold \(count) rows") {
            if catalog == nil && FileManager.default.fileExists(atPath: catalogPath) {
                catalog = try? CatalogDatabase(path: catalogPath, readOnly: true)
            }
            guard let catalog else { return false }
            counts = (try? catalog.classCounts()) ?? []
            return counts.reduce(0) { $0 + $1.real + $1.duplicates + $1.quarantined } >= count
        }
        let seconds = Date().timeIntervalSince(start)
        let cpu = try cpuSeconds(of: process.processIdentifier) - before
        let result = Result(
            files: count, active: counts.reduce(0) { $0 + $1.real }, duplicates: counts.reduce(0) { $0 + $1.duplicates },
            quarantined: counts.reduce(0) { $0 + $1.quarantined }, seconds: seconds, filesPerSecond: Double(count) / seconds, cpuSeconds: cpu,
            cpuMillisecondsPerFile: cpu * 1000 / Double(count), cpu: cpuModel())
        if json { return try printJSON(result) }
        print(
            String(
                format:
                    "%d files (%d active, %d exact copies, %d refused) cataloged in %.1f s: %.0f files/s; cohortd CPU %.1f s = %.2f ms per file (%@)",
                result.files, result.active, result.duplicates, result.quarantined, result.seconds, result.filesPerSecond, result.cpuSeconds,
                result.cpuMillisecondsPerFile, result.cpu))
    }

    private func waitFor(seconds: Double, _ what: String, _ done: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !done() {
            guard Date() < deadline else { throw ValidationError("timed out waiting for \(what)") }
            usleep(50_000)
        }
    }
}

/// User + system CPU seconds of a process so far (/proc/<pid>/stat, fields 14 and 15).
func cpuSeconds(of pid: Int32) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    guard let close = stat.lastIndex(of: ")") else { throw ValidationError("unreadable /proc/\(pid)/stat") }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
        throw ValidationError("unreadable /proc/\(pid)/stat")
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The CPU's model name (/proc/cpuinfo), to print beside every figure.
func cpuModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
    return line.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
}

struct BenchNearDuplicatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "near-duplicates",
        abstract: "The near-duplicate index's cost per new image at several catalog sizes; with --data, checks the screen changes no pair.")

    @Option(help: "Catalog sizes of synthetic fingerprints (comma-separated).")
    var sizes = "1000,10000,50000"

    @Option(help: "New images looked up at each size (the median is reported).")
    var lookups = 200

    @Option(help: "An ImageFolder tree: group it with and without the exact screen, compare the pairs and time both.")
    var data: String?

    @Option(help: "Model size for --data (px).")
    var imageSize = 64

    func run() throws {
        print("CPU: \(cpuModel())")
        var rng = SystemRandomNumberGenerator()
        // Smooth random scans (a few random blobs), so thumbnails have the low-frequency content of real ones.
        func syntheticPrint() -> ImageFingerprint {
            var samples = [UInt16](repeating: 0, count: 64 * 64)
            let blobs = (0..<6).map { _ in
                (Double.random(in: 0..<64, using: &rng), Double.random(in: 0..<64, using: &rng), Double.random(in: 4..<16, using: &rng))
            }
            for y in 0..<64 {
                for x in 0..<64 {
                    let value = blobs.reduce(0.0) { sum, b in
                        sum + exp(-((Double(x) - b.0) * (Double(x) - b.0) + (Double(y) - b.1) * (Double(y) - b.1)) / (b.2 * b.2))
                    }
                    samples[y * 64 + x] = UInt16(min(255, value * 120))
                }
            }
            return ImageFingerprint(GrayImage(width: 64, height: 64, bitDepth: 8, samples: samples), modelSize: 64)
        }
        var rows = [["CATALOG", "PREPARE MS", "SEARCH MS", "HASH CANDIDATES", "AFTER SCREEN"]]
        let counts = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let pool = ParallelMap.map(min(counts.max() ?? 0, 5000)) { _ in syntheticPrint() }
        for size in counts {
            let index = NearDuplicateIndex()
            // Distinct ids over a pool of fingerprints (the search cost depends on the hashes, not on uniqueness).
            let references = ParallelMap.map(min(size, pool.count)) { AlignmentBound.reference(pool[$0].thumbnail) }
            for id in 0..<size {
                index.insert(
                    id: Int64(id), print: pool[id % pool.count], reference: references[id % pool.count], group: Int64(id), key: nil, side: nil)
            }
            var prepare: [Double] = [], search: [Double] = []
            var candidates = 0, open = 0
            for _ in 0..<lookups {
                let print = syntheticPrint()
                let t0 = Date()
                let prepared = NearDuplicateIndex.Prepared(print)
                let t1 = Date()
                _ = index.matchingGroups(prepared, workers: 1)
                let t2 = Date()
                prepare.append(t1.timeIntervalSince(t0) * 1000)
                search.append(t2.timeIntervalSince(t1) * 1000)
                let statistics = index.lastLookup
                candidates += statistics.candidates
                open += statistics.open
            }
            rows.append([
                String(size), String(format: "%.3f", median(prepare)), String(format: "%.3f", median(search)),
                String(format: "%.1f", Double(candidates) / Double(lookups)), String(format: "%.2f", Double(open) / Double(lookups))
            ])
        }
        print(TextTable.render(rows))
        if let data { try verify(data) }
    }

    private func verify(_ root: String) throws {
        let folder = try ImageFolder(root: root)
        let (prints, refused) = LeakageAudit.fingerprints(folder.items.map(\.path), modelSize: imageSize)
        let kept = prints.compactMap { $0 }
        // How much of the pixel search the screen leaves: the last 300 images looked up among the others.
        let lookups = min(300, kept.count / 2)
        let index = NearDuplicateIndex()
        let references = ParallelMap.map(kept.count - lookups) { AlignmentBound.reference(kept[$0].thumbnail) }
        for (i, reference) in references.enumerated() {
            index.insert(id: Int64(i), print: kept[i], reference: reference, group: Int64(i), key: nil, side: nil)
        }
        var candidates = 0, open = 0
        let prepared = ParallelMap.map(lookups) { NearDuplicateIndex.Prepared(kept[kept.count - lookups + $0]) }
        let start = Date()
        for print in prepared {
            _ = index.matchingGroups(print, workers: 1)
            candidates += index.lastLookup.candidates
            open += index.lastLookup.open
        }
        print(
            String(
                format: "%@: per lookup among %d images: %.0f hash candidates, %.1f left open by the screen for the pixel search; %.2f ms per search",
                root, kept.count - lookups, Double(candidates) / Double(lookups), Double(open) / Double(lookups),
                Date().timeIntervalSince(start) * 1000 / Double(lookups)))
        fflush(nil)  // the unscreened grouping below takes minutes
        // The batch grouping with and without the screen: the same pairs, at what speed.
        let t0 = Date()
        let screened = NearDuplicates.pairs(kept)
        let t1 = Date()
        let plain = NearDuplicates.pairs(kept, screened: false)
        let t2 = Date()
        let same = screened.map { [$0.first, $0.second] } == plain.map { [$0.first, $0.second] }
        print(
            String(
                format: "%@: %d images (%d refused), %d duplicate pairs; grouping %.1f s with the screen, %.1f s without; pairs identical: %@",
                root, kept.count, refused.count, screened.count, t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), same ? "yes" : "NO"))
        if !same { throw ExitCode(1) }
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
