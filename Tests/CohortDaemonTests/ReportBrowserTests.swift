// report.html as a person sees it: rendered by headless Chromium (Debian's `chromium`, which `make test`
// installs), checked for script errors, for elements that stick out of the page or out of their chart, for
// class names cut short, for blank bands, and kept as a screenshot (.build/test-artifacts/report.png).
import CohortTestSupport
import Foundation
import ImageIO
import Tensor
import Testing

@testable import CohortDaemon
@testable import Training

@Suite(.serialized) struct ReportBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(
        where: FileManager.default.isExecutableFile)

    /// A report like a brain-MRI run's: four classes with long names, two variants with a test set,
    /// loss curves, findings, and a sample grid of phantom images.
    static func report() -> ClassifierReport {
        let classes = ["glioma_tumor", "meningioma_tumor", "pituitary_tumor", "no_tumor"]
        var rng = RandomGenerator(seed: 5)
        func metrics(_ skill: Double) -> ClassificationMetrics {
            let labels = (0..<400).map { $0 % 4 }
            let predictions = labels.map { Double(rng.uniform()) < skill ? $0 : rng.integer(below: 4) }
            return ClassificationMetrics(labels: labels, predictions: predictions, classes: classes)
        }
        let losses = { (offset: Float) in (0..<900).map { i in 1.4 * Foundation.exp(-Float(i) / 250) + offset + 0.05 * rng.uniform() } }
        var real = LabeledImages(size: 64, classes: classes), synthetic = real
        func phantom(_ c: Int) -> ArraySlice<Float> {
            PhantomScans.image(label: c % 3, size: 64, rng: &rng).samples.map { Float($0) / 127.5 - 1 }[...]
        }
        for c in 0..<4 {
            for _ in 0..<6 {
                real.append(phantom(c), label: c, path: "r")
                synthetic.append(phantom(c), label: c, path: "s")
            }
        }
        let variants = [
            ReportVariant(training: "real", trainImages: 4_185, validation: metrics(0.8), test: metrics(0.7), losses: losses(0.3), seconds: 620),
            ReportVariant(
                training: "real+synthetic", trainImages: 9_189, validation: metrics(0.82), test: metrics(0.72), losses: losses(0.35), seconds: 810)
        ]
        let counts = Dictionary(
            uniqueKeysWithValues: classes.map {
                ($0, ReportClassCounts(realTrain: 1_000, realValidation: 250, synthetic: 500, duplicates: 3, quarantined: 1))
            })
        return ClassifierReport(
            dataset: "brain", created: "2026-11-30T08:00:00Z", jobID: 7, imageSize: 64, classes: classes, counts: counts, variants: variants,
            fcd: Dictionary(uniqueKeysWithValues: classes.map { ($0, 7.5) }), nearCopies: [:],
            diversity: Dictionary(uniqueKeysWithValues: classes.map { ($0, 0.6) }), harmfulClasses: [], withheldClasses: [],
            findings: ["real+synthetic: macro-F1 82.0% vs real-only 80.0% (+2.0 points); paired test: no significant difference (p = 0.210)"],
            sampleGridPNG: ReportSampleGrid.png(real: real, synthetic: synthetic, classes: classes),
            pairedTest: PairedComparison(onlyFirst: 20, onlySecond: 28, images: 400), pairedTestByClass: nil, mixing: MixingPolicy(),
            featureDiversity: nil)
    }

    /// Injected after the report's own markup: measures the laid-out page and prints one JSON object.
    static let layoutProbe = """
        <script>
        (function () {
          const out = {errors: window.__errors || [], outside: [], clipped: [], gaps: [], brokenImages: 0};
          const page = document.documentElement.clientWidth;
          for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && (r.right > page + 1 || r.left < -1)) out.outside.push(e.tagName + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
          }
          for (const svg of document.querySelectorAll('svg')) {
            const box = svg.getBoundingClientRect();
            for (const t of svg.querySelectorAll('text')) {
              const r = t.getBoundingClientRect();
              if (r.right > box.right + 1 || r.left < box.left - 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
                out.clipped.push(t.textContent);
            }
          }
          const blocks = [...document.body.children].map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
          for (let i = 1; i < blocks.length; i++) {
            const gap = blocks[i].top - blocks[i - 1].bottom;
            if (gap > 80) out.gaps.push(Math.round(gap));
          }
          for (const img of document.images) if (!img.complete || img.naturalWidth === 0) out.brokenImages++;
          const pre = document.createElement('pre');
          pre.id = 'layout-probe';
          pre.textContent = JSON.stringify(out);
          document.body.appendChild(pre);
        })();
        </script>
        """

    @Test(
        .enabled(if: chromium != nil, "chromium is not installed (make test installs Debian's chromium); the browser check is skipped"),
        .timeLimit(.minutes(3)))
    func theReportReadsWellInABrowser() throws {
        let dir = try TemporaryDirectory()
        let html = ReportHTML.render(Self.report())
        // Script errors anywhere in the page are collected before the report's markup runs.
        let probed = html.replacingOccurrences(
            of: "<head>", with: "<head><script>window.__errors=[];window.onerror=function(m){window.__errors.push(String(m))};</script>"
        )
        .replacingOccurrences(of: "</body>", with: Self.layoutProbe + "</body>")
        try dir.write("report.html", Array(html.utf8))
        try dir.write("probe.html", Array(probed.utf8))
        let chrome = Self.chromium!
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900", "--user-data-dir=" + dir.file("profile")
        ]
        let dom = try BuiltExecutable.run(chrome, common + ["--virtual-time-budget=5000", "--dump-dom", "file://" + dir.file("probe.html")])
        let probe = try #require(
            dom.stdout.range(of: #"<pre id="layout-probe">"#).map { start in
                String(dom.stdout[start.upperBound...].prefix { $0 != "<" }).replacingOccurrences(of: "&quot;", with: "\"")
            }, "chromium rendered nothing: \(dom.stderr.suffix(2000))")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(probe.utf8)) as? [String: Any], "\(probe)")
        #expect((result["errors"] as? [Any])?.isEmpty == true, "script errors: \(result["errors"] ?? "")")
        #expect((result["outside"] as? [Any])?.isEmpty == true, "outside the page: \(result["outside"] ?? "")")
        #expect((result["clipped"] as? [Any])?.isEmpty == true, "chart text outside its chart: \(result["clipped"] ?? "")")
        #expect((result["gaps"] as? [Any])?.isEmpty == true, "blank bands (px): \(result["gaps"] ?? "")")
        #expect(result["brokenImages"] as? Int == 0)
        // Every class name whole in the confusion matrices; the loss chart has values on both axes.
        for name in Self.report().classes { #expect(html.contains(">\(name)</text>"), "\(name) cut short in a chart") }
        #expect(html.contains("class=\"axis-value\""), "the loss chart has axis values")
        // The screenshot a person would see, kept for the record.
        let artifacts = SharedData.repositoryRoot + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let shot = try BuiltExecutable.run(
            chrome,
            common.map { $0 == "--window-size=1280,900" ? "--window-size=1280,3600" : $0 }
                + ["--screenshot=" + artifacts + "/report.png", "file://" + dir.file("report.html")])
        #expect(shot.status == 0 && FileManager.default.fileExists(atPath: artifacts + "/report.png"), "\(shot.stderr.suffix(1000))")
        print("ReportBrowserTests: screenshot at \(artifacts)/report.png")
    }
}
