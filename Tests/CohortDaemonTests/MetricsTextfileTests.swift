// metrics.textfile_path: cohortd writes its Prometheus exposition for node_exporter's textfile collector.
// The file appears, follows the text format's rules (a small parser below, after
// https://prometheus.io/docs/instrumenting/exposition_formats/), and is replaced by rename — a reader
// never sees half a file.
import CohortTestSupport
import Foundation
import Testing

@Suite struct MetricsTextfileTests {
    /// The problems a line-by-line check of the text format finds (empty: valid).
    static func formatProblems(_ text: String) -> [String] {
        var problems: [String] = []
        var typed: [String: String] = [:]
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let label = #"[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*""#
        let sample = try! Regex("^(\(name))(\\{(\(label)(,\(label))*)?,?\\})? ([^ ]+)( -?[0-9]+)?$")
        let typeLine = try! Regex("^# TYPE (\(name)) (counter|gauge|histogram|summary|untyped)$")
        guard text.hasSuffix("\n") else { return ["the exposition does not end with a newline"] }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# TYPE") {
                guard let m = line.wholeMatch(of: typeLine) else { problems.append("bad TYPE line: \(line)"); continue }
                typed[String(m.output[1].substring!)] = String(m.output[2].substring!)
            } else if line.hasPrefix("#") || line.isEmpty {
                continue
            } else if let m = line.wholeMatch(of: sample) {
                let metric = String(m.output[1].substring!)
                let value = String(m.output[m.output.count - 2].substring!)
                if Double(value) == nil && !["+Inf", "-Inf", "NaN"].contains(value) { problems.append("bad value: \(line)") }
                let base = ["_bucket", "_sum", "_count"].reduce(metric) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
                if typed[metric] == nil && typed[base] == nil { problems.append("sample before its TYPE: \(line)") }
            } else {
                problems.append("not a sample: \(line)")
            }
        }
        return problems
    }

    @Test func theParserRejectsWhatTheFormatForbids() {
        #expect(Self.formatProblems("# TYPE a counter\na 1\n").isEmpty)
        #expect(Self.formatProblems("# TYPE a gauge\na{x=\"1\",y=\"two\"} 2.5\n").isEmpty)
        #expect(!Self.formatProblems("a 1\n").isEmpty, "no TYPE")
        #expect(!Self.formatProblems("# TYPE a counter\na one\n").isEmpty, "not a number")
        #expect(!Self.formatProblems("# TYPE a-b counter\na-b 1\n").isEmpty, "bad name")
        #expect(!Self.formatProblems("# TYPE a counter\na 1").isEmpty, "no final newline")
    }

    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func theTextfileIsWrittenValidAndReplacedAtomically() throws {
        let h0 = try TemporaryDirectory()
        let path = h0.file("collector/cohort.prom")
        try FileManager.default.createDirectory(atPath: h0.file("collector"), withIntermediateDirectories: true)
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining + "\nmetrics:\n  textfile_path: \(path)\n  textfile_interval_seconds: 1\n")
        try h.phantoms(label: 0, count: 2, seed: 1, into: h.incoming + "/one_lesion")
        let daemon = try h.start()
        #expect(
            daemon.wait(timeout: 60) {
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(#"kind="real"} 2"#)
            }, "\(daemon.log)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(Self.formatProblems(text).isEmpty, "\(Self.formatProblems(text))")
        #expect(text.contains("cohort_uptime_seconds") && text.contains("cohort_images"))
        var first = stat(), later = stat()
        #expect(stat(path, &first) == 0)
        #expect(daemon.wait(timeout: 20) { stat(path, &later) == 0 && later.st_ino != first.st_ino }, "a new file is renamed into place")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: h0.file("collector")).filter { $0 != "cohort.prom" }
        #expect(leftovers.isEmpty, "no temporary files beside it for the collector to read: \(leftovers)")
        #expect(daemon.terminate().status == 0)
    }
}
