// A temporary tree for one daemon test: incoming/<dataset>/<class>/, output/, state/, a config file,
// and helpers to write phantom scans and read the catalog.
import CohortTestSupport
import Foundation
import GRDB
import ImageIO
import Tensor
import Training

@testable import Catalog

struct DaemonHarness {
    let dir: TemporaryDirectory
    let dataset = "phantom"
    var incoming: String { dir.file("incoming/phantom") }
    var output: String { dir.file("output/phantom") }
    var state: String { dir.file("state") }
    var config: String { dir.file("cohortd.yaml") }

    /// Writes the config: fast settling, `threads` compute workers, and the given extra YAML sections.
    init(extra: String, threads: Int = 2) throws {
        dir = try TemporaryDirectory(prefix: "cohortd-test")
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        let yaml = """
            state_directory: \(state)
            socket_path: \(dir.file("cohortd.sock"))
            settle_seconds: 0.3
            degraded_rescan_seconds: 2
            threads: \(threads)
            datasets: [phantom]
            dataset:
              phantom:
                watch_root: \(incoming)
                output_root: \(output)
                image_size: 64
            \(extra)
            """
        try dir.write("cohortd.yaml", Array(yaml.utf8))
    }

    static var executable: String? { BuiltExecutable.path("cohortd") }

    func start(log: String = "cohortd.log") throws -> DaemonProcess {
        try DaemonProcess(executable: Self.executable!, configPath: config, statePath: state, logPath: dir.file(log))
    }

    /// Writes `count` phantoms of class index `label` as `<folder>/<prefix>-<i>.png` (distinct images).
    @discardableResult
    func phantoms(label: Int, count: Int, seed: UInt64, into folder: String, prefix: String = "p") throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: seed)
        return try (0..<count).map { i in
            let path = "\(folder)/\(prefix)-\(seed)-\(i).png"
            try PNGEncoder.write(PhantomScans.image(label: label, size: 64, rng: &rng), to: path)
            return path
        }
    }

    func catalog() throws -> CatalogDatabase { try CatalogDatabase(path: state + "/catalog.sqlite", readOnly: true) }

    /// Every catalog row of the dataset.
    func images() throws -> [ImageRecord] {
        try catalog().read { db in try ImageRecord.filter(Column("dataset") == dataset).fetchAll(db) }
    }

    func jobs() throws -> [JobRecord] { try catalog().read { db in try JobRecord.order(Column("id")).fetchAll(db) } }

    /// Runs `cp`/`mv` like an operator would.
    func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
    }
}
