// report.html: one self-contained page (no scripts, no external files) — counts, both variants'
// accuracy and macro-F1 side by side, confusion matrices, per-class recall bars and loss curves as
// inline SVG, the synthetic sample grid as an embedded PNG, FCD and near-copy counts, findings first.
import Foundation
import Training

enum ReportHTML {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    static func render(_ r: ClassifierReport) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cohort report — \(escape(r.dataset)) — \(escape(r.created))</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
            table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
            th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:600}
            .findings li{margin:.3em 0}figure{display:inline-block;margin:0 1.5em 1em 0;vertical-align:top}figcaption{font-weight:600}</style>
            </head><body><h1>Cohort classifier report: \(escape(r.dataset))</h1>
            <p>\(escape(r.created)) · job \(r.jobID) · \(r.imageSize)×\(r.imageSize) px · classes: \(escape(r.classes.joined(separator: ", ")))</p>
            <h2>Findings</h2><ul class="findings">
            """
        for line in r.findings {
            let bad = line.contains("HURT") || line.contains("hurt")
            html += "<li\(bad ? " class=\"bad\"" : "")>\(escape(line))</li>"
        }
        html += "</ul><h2>Images per class</h2><table><tr><th>class</th><th>real train</th><th>real validation</th><th>synthetic</th><th>duplicates</th><th>quarantined</th><th>FCD</th><th>diversity vs real (pixels)</th><th>diversity vs real (features)</th><th>near-copies rejected</th></tr>"
        for name in r.classes {
            let c = r.counts[name]
            html += "<tr><td>\(escape(name))</td><td>\(c?.realTrain ?? 0)</td><td>\(c?.realValidation ?? 0)</td><td>\(c?.synthetic ?? 0)</td><td>\(c?.duplicates ?? 0)</td><td>\(c?.quarantined ?? 0)</td><td>\(r.fcd[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.diversity[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.featureDiversity?[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.nearCopies[name] ?? 0)</td></tr>"
        }
        html += "</table><p>FCD: Fréchet distance between real validation images and synthetic samples in the real-only classifier's penultimate features — FID's idea with Cohort's own features; lower is closer; not comparable to Inception FID. Diversity: mean per-pixel spread of the synthetic samples ÷ that of the real scans of the class (near 0 = the generator repeats itself).</p>"
        html += "<h2>Accuracy</h2><table><tr><th>training</th><th>images</th><th>validation accuracy</th><th>validation balanced acc.</th><th>validation macro-F1</th><th>validation AUC</th>"
        let hasTest = r.variants.contains { $0.test != nil }
        if hasTest { html += "<th>test accuracy</th><th>test macro-F1</th><th>validation − test</th>" }
        html += "</tr>"
        for v in r.variants {
            html += "<tr><td>\(escape(v.training))</td><td>\(v.trainImages)</td><td>\(percent(v.validation.accuracy))</td><td>\(percent(v.validation.balancedAccuracy))</td><td>\(percent(v.validation.macroF1))</td><td>\(v.validation.auc.map { String(format: "%.3f", $0) } ?? "–")</td>"
            if hasTest {
                if let t = v.test {
                    html += "<td>\(percent(t.accuracy))</td><td>\(percent(t.macroF1))</td><td>\(String(format: "%+.1f points", (v.validation.accuracy - t.accuracy) * 100))</td>"
                } else { html += "<td>–</td><td>–</td><td>–</td>" }
            }
            html += "</tr>"
        }
        html += "</table><h2>Per-class recall (validation)</h2>" + recallBars(r)
        html += "<h2>Confusion matrices</h2>"
        for v in r.variants {
            html += "<figure><figcaption>\(escape(v.training)) — validation</figcaption>\(confusion(v.validation))</figure>"
            if let t = v.test { html += "<figure><figcaption>\(escape(v.training)) — external test</figcaption>\(confusion(t))</figure>" }
        }
        html += "<h2>Training loss</h2>" + lossCurves(r.variants)
        if let grid = r.sampleGridPNG {
            html += "<h2>Real and synthetic samples</h2><p>One row per class (\(escape(r.classes.joined(separator: ", ")))): up to 6 real validation scans on the left, up to 6 synthetic samples on the right; every synthetic file is marked in its PNG metadata.</p>"
            html += "<img alt=\"real (left) and synthetic (right) samples per class\" style=\"image-rendering:pixelated;width:\(min(1000, 2 * (12 * (r.imageSize + 2) + r.imageSize)))px\" src=\"data:image/png;base64,\(grid)\">"
        }
        html += "</body></html>\n"
        return html
    }

    static let colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]

    static func recallBars(_ r: ClassifierReport) -> String {
        let barHeight = 12, gap = 6, labelWidth = 140, width = 420
        let rowHeight = r.variants.count * barHeight + gap
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 60)\" height=\"\(r.classes.count * rowHeight + 30)\">"
        for (c, name) in r.classes.enumerated() {
            let y0 = c * rowHeight
            svg += "<text x=\"0\" y=\"\(y0 + barHeight)\" font-size=\"12\">\(escape(name))</text>"
            for (k, v) in r.variants.enumerated() {
                let recall = c < v.validation.recall.count ? v.validation.recall[c] : 0
                let y = y0 + k * barHeight
                svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(Int(recall * Double(width)))\" height=\"\(barHeight - 2)\" fill=\"\(colors[k % colors.count])\"/>"
                svg += "<text x=\"\(labelWidth + Int(recall * Double(width)) + 4)\" y=\"\(y + barHeight - 3)\" font-size=\"10\">\(percent(recall))</text>"
            }
        }
        let legendY = r.classes.count * rowHeight + 18
        for (k, v) in r.variants.enumerated() {
            svg += "<rect x=\"\(labelWidth + k * 160)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(colors[k % colors.count])\"/><text x=\"\(labelWidth + k * 160 + 14)\" y=\"\(legendY)\" font-size=\"12\">\(escape(v.training))</text>"
        }
        return svg + "</svg>"
    }

    static func confusion(_ m: ClassificationMetrics) -> String {
        let cell = 44, label = 90
        let n = m.classes.count
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(label + n * cell + 4)\" height=\"\(label + n * cell + 4)\">"
        svg += "<text x=\"\(label)\" y=\"12\" font-size=\"11\">predicted →</text><text x=\"0\" y=\"\(label - 4)\" font-size=\"11\">true ↓</text>"
        for (j, name) in m.classes.enumerated() {
            svg += "<text x=\"\(label + j * cell + 2)\" y=\"\(label - 8)\" font-size=\"10\">\(escape(String(name.prefix(7))))</text>"
        }
        for i in 0..<n {
            let total = max(1, m.confusion[i].reduce(0, +))
            svg += "<text x=\"0\" y=\"\(label + i * cell + cell / 2 + 4)\" font-size=\"11\">\(escape(String(m.classes[i].prefix(12))))</text>"
            for j in 0..<n {
                let share = Double(m.confusion[i][j]) / Double(total)
                let shade = Int(255 - share * 200)
                svg += "<rect x=\"\(label + j * cell)\" y=\"\(label + i * cell)\" width=\"\(cell - 1)\" height=\"\(cell - 1)\" fill=\"rgb(\(shade),\(shade),255)\"/>"
                svg += "<text x=\"\(label + j * cell + cell / 2)\" y=\"\(label + i * cell + cell / 2 + 4)\" font-size=\"11\" text-anchor=\"middle\">\(m.confusion[i][j])</text>"
            }
        }
        return svg + "</svg>"
    }

    static func lossCurves(_ variants: [ReportVariant]) -> String {
        let width = 640.0, height = 220.0, margin = 36.0
        let all = variants.flatMap(\.losses).filter(\.isFinite)
        guard let top = all.max(), !all.isEmpty else { return "<p>no losses recorded</p>" }
        let longest = Double(max(2, variants.map(\.losses.count).max() ?? 2))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width + margin * 2))\" height=\"\(Int(height + margin * 2))\">"
        svg += "<line x1=\"\(margin)\" y1=\"\(margin + height)\" x2=\"\(margin + width)\" y2=\"\(margin + height)\" stroke=\"#999\"/><line x1=\"\(margin)\" y1=\"\(margin)\" x2=\"\(margin)\" y2=\"\(margin + height)\" stroke=\"#999\"/>"
        svg += "<text x=\"\(margin)\" y=\"\(margin - 6)\" font-size=\"11\">loss (max \(String(format: "%.2f", top)))</text><text x=\"\(margin + width - 40)\" y=\"\(margin + height + 16)\" font-size=\"11\">step</text>"
        for (k, v) in variants.enumerated() {
            // Smoothed over 1% of the run so the trend reads through the batch noise.
            let window = max(1, v.losses.count / 100)
            var points: [String] = []
            var sum: Float = 0
            for (i, loss) in v.losses.enumerated() {
                sum += loss
                if i >= window { sum -= v.losses[i - window] }
                guard i % max(1, v.losses.count / 300) == 0 else { continue }
                let mean = Double(sum) / Double(min(i + 1, window))
                points.append(String(format: "%.1f,%.1f", margin + Double(i) / (longest - 1) * width, margin + height - mean / Double(top) * height))
            }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[k % colors.count])\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
            svg += "<text x=\"\(margin + width - 150)\" y=\"\(margin + 14 + Double(k) * 14)\" font-size=\"11\" fill=\"\(colors[k % colors.count])\">\(escape(v.training))</text>"
        }
        return svg + "</svg>"
    }
}
