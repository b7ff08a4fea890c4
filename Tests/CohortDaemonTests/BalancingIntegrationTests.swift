// cohortd balancing a small imbalanced phantom dataset with a tiny GAN: every class — the largest too,
// by the symmetric policy — gets the right number of synthetic samples with correct PNG metadata and manifest lines, a classifier report
// appears (JSON and self-contained HTML); SIGTERM during a GAN job checkpoints, exits 0 within 10 s, and
// the next start resumes the interrupted job from its checkpoint instead of starting over.
import CohortTestSupport
import ContentHash
import Foundation
import ImageIO
import Testing
import Training

@testable import Catalog
@testable import CohortDaemon

@Suite(.serialized) struct BalancingIntegrationTests {
    static func tinyTraining(steps: Int, checkpointEvery: Int, gan: String = "") -> String {
        """
        gan:
          \(gan.isEmpty ? "" : gan + "\n  ")quiet_seconds: 1
          base_steps: \(steps)
          steps_per_new_image: 0
          max_steps: \(steps)
          batch_size: 8
          generator_channels: 16
          discriminator_channels: 8
          checkpoint_every_steps: \(checkpointEvery)
        classifier:
          epochs: 2
          batch_size: 16
          width: 0.25
          depth: 0.25
        """
    }

    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func classesBelowTargetAreToppedUpAndReported() throws {
        let h = try DaemonHarness(extra: Self.tinyTraining(steps: 30, checkpointEvery: 10))
        try h.phantoms(label: 0, count: 30, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 20, seed: 2, into: h.incoming + "/two_lesions")
        try h.phantoms(label: 2, count: 8, seed: 3, into: h.incoming + "/ring_lesion")
        let daemon = try h.start()
        // Target 30 × (1 + 0.5) = 45; wanted = min(deficit, 1 × real): one_lesion 15, two_lesions 20, ring_lesion 8.
        let balanced = daemon.wait(timeout: 600) {
            daemon.counts(h.dataset, "synthetic") == ["one_lesion": 15, "two_lesions": 20, "ring_lesion": 8]
        }
        #expect(balanced, "synthetic: \(daemon.counts(h.dataset, "synthetic"))\n\(daemon.log)")
        let manifest = try String(contentsOfFile: h.output + "/manifest.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(manifest.count == 43)
        let checkpoint = h.state + "/checkpoints/phantom/gan.safetensors"
        let sha = try SHA256Hasher.hex(ofFile: checkpoint)
        for line in manifest {
            let entry = try JSONDecoder().decode(ManifestLine.self, from: Data(line.utf8))
            #expect(entry.synthetic && entry.checkpointSHA256 == sha)
            let decoded = try ImageDecoder().decode(path: h.output + "/" + entry.file)
            #expect(decoded.image.width == 64 && decoded.image.bitDepth == 8)
            #expect(decoded.textValue("synthetic") == "true")
            #expect(decoded.textValue("class") == entry.className && entry.file.hasPrefix(entry.className + "/syn-"))
            #expect(decoded.textValue("seed") == String(entry.seed) && decoded.textValue("checkpoint_sha256") == sha)
            #expect(decoded.textValue("time") != nil)
            // No report yet, so no real-only classifier to judge the first samples.
            #expect(entry.acceptanceScore == nil && decoded.textValue("acceptance_score") == nil)
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: h.output).filter { $0.hasSuffix(".png") }
        #expect(files.count == 43, "exactly the published samples in the output tree: \(files)")

        // The first report: both variants, per-class counts, a self-contained HTML page.
        #expect(
            daemon.wait(timeout: 600) { (daemon.status()?["datasets"] as? [[String: Any]])?.first?["latest_report"] is String },
            "no report\n\(daemon.log)")
        let reportDir = ((daemon.status()?["datasets"] as? [[String: Any]])?.first?["latest_report"] as? String) ?? ""
        let report = try JSONDecoder().decode(ClassifierReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportDir + "/report.json")))
        #expect(report.variants.map(\.training) == ["real", "real+synthetic"])
        #expect(report.counts["ring_lesion"]?.synthetic == 8)
        #expect(report.variants[1].trainImages == report.variants[0].trainImages + 43)
        #expect(report.pairedTest?.images == report.variants[0].validation.confusion.joined().reduce(0, +))
        #expect(report.pairedTestByClass?.count == 3 && report.mixing?.kind == .symmetric)
        #expect(
            FileManager.default.fileExists(atPath: h.state + "/checkpoints/phantom/classifier-real.safetensors"),
            "the real-only classifier is kept as the publisher's acceptance judge")
        #expect(!report.findings.isEmpty)
        #expect(report.diversity["ring_lesion"].map { $0 > 0 } == true, "diversity is measured per class with samples")
        for (name, counts) in report.counts where counts.realValidation >= 2 && counts.synthetic >= 2 {
            #expect(report.featureDiversity?[name].map { $0 > 0 } == true, "\(name): diversity in the fixed network's features too")
        }
        let html = try String(contentsOfFile: reportDir + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("data:image/png;base64,") && !html.contains("<script"))

        // The largest class shrinks (10 scans deleted): the target falls to 20 × 1.5 = 30 and surplus
        // samples are retired — one_lesion 15 → 10, two_lesions 20 → 10 (unless a class was withheld as harmed).
        let oneLesion = try FileManager.default.contentsOfDirectory(atPath: h.incoming + "/one_lesion").sorted().prefix(10)
        for name in oneLesion { try FileManager.default.removeItem(atPath: h.incoming + "/one_lesion/" + name) }
        let withheld = Set(report.withheldClasses)
        let expected = ["one_lesion": 10, "two_lesions": 10, "ring_lesion": 8].filter { !withheld.contains($0.key) }
        #expect(
            daemon.wait(timeout: 120) { daemon.counts(h.dataset, "synthetic").filter { !withheld.contains($0.key) } == expected },
            "after the deletion: \(expected) expected; got \(daemon.counts(h.dataset, "synthetic"))")
        #expect(daemon.terminate().status == 0)
    }

    /// `gan.select_best`: before the first report the job keeps its last checkpoint; after it, every
    /// checkpoint is scored by neighbour CAS in the report's classifier, and the dataset's checkpoint is the
    /// best-scoring one (its iteration is the one the job says it kept).
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func selectBestKeepsTheBestScoredCheckpoint() throws {
        let h = try DaemonHarness(extra: Self.tinyTraining(steps: 30, checkpointEvery: 10, gan: "select_best: true\n  min_new_images: 10"))
        try h.phantoms(label: 0, count: 24, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 16, seed: 2, into: h.incoming + "/two_lesions")
        try h.phantoms(label: 2, count: 10, seed: 3, into: h.incoming + "/ring_lesion")
        let daemon = try h.start()
        #expect(
            daemon.wait(timeout: 600) { (daemon.status()?["datasets"] as? [[String: Any]])?.first?["latest_report"] is String },
            "no report\n\(daemon.log)")
        #expect(daemon.log.contains("no report yet — the GAN job keeps its last checkpoint"), "\(daemon.log)")
        try h.phantoms(label: 2, count: 12, seed: 4, into: h.incoming + "/ring_lesion")
        let selected = daemon.wait(timeout: 600) {
            try! h.jobs().contains { $0.kind == .gan && $0.state == .done && ($0.outcome ?? "").contains("kept iteration") }
        }
        #expect(selected, "no GAN job with checkpoint selection finished\n\(daemon.log)")
        let job = try #require(try h.jobs().last { $0.kind == .gan && ($0.outcome ?? "").contains("kept iteration") })
        let scored = daemon.log.split(separator: "\n").filter { $0.contains("neighbour CAS") && $0.contains("GAN iteration") }
        #expect(scored.count == 3, "one score per checkpoint (every 10 of 30 steps): \(scored)")
        let kept = try #require(job.outcome?.components(separatedBy: "kept iteration ").last.flatMap { Int($0.prefix { $0.isNumber }) })
        #expect(
            try GANCheckpoint.resume(from: h.state + "/checkpoints/phantom/gan.safetensors").iteration == kept,
            "the dataset's checkpoint is the kept one")
        #expect((job.outcome ?? "").contains("trained to iteration 60"), "\(job.outcome ?? "")")
        #expect(!FileManager.default.fileExists(atPath: h.state + "/checkpoints/phantom/gan-best.safetensors"), "the snapshot is cleaned up")
        #expect(daemon.terminate().status == 0)
    }

    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func sigtermDuringAGANJobCheckpointsAndTheJobResumes() throws {
        let h = try DaemonHarness(extra: Self.tinyTraining(steps: 100_000, checkpointEvery: 1000) + "\n  min_new_images: 0\n  interval_minutes: 0")
        try h.phantoms(label: 0, count: 20, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 8, seed: 2, into: h.incoming + "/two_lesions")
        var daemon = try h.start()
        #expect(
            daemon.wait(timeout: 300) { ((daemon.status()?["job"] as? [String: Any])?["step"] as? Int ?? 0) >= 3 },
            "GAN job never progressed\n\(daemon.log)")
        let stop = daemon.terminate()
        #expect(stop.status == 0, "\(daemon.log)")
        #expect(stop.seconds < 10, "SIGTERM during training took \(stop.seconds) s")
        let jobs = try h.jobs()
        #expect(jobs.count == 1 && jobs[0].state == .interrupted && jobs[0].step >= 3, "\(jobs)")
        #expect(FileManager.default.fileExists(atPath: h.state + "/checkpoints/phantom/gan.safetensors"), "checkpoint written on shutdown")
        let stepAtStop = jobs[0].step

        daemon = try h.start(log: "cohortd-2.log")
        #expect(
            daemon.wait(timeout: 120) { daemon.log.contains("\(100_000 - stepAtStop) of 100000 steps") },
            "the interrupted job resumes where it stopped\n\(daemon.log)")
        #expect(try h.jobs().count == 1, "resumed, not re-queued")
        #expect(daemon.terminate().status == 0)
    }
}
