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
        html +=
            "</ul><h2>Images per class</h2><table><tr><th>class</th><th>real train</th><th>real validation</th><th>synthetic</th><th>duplicates</th><th>quarantined</th><th>FCD</th><th>diversity vs real (pixels)</th><th>diversity vs real (features)</th><th>near-copies rejected</th></tr>"
        for name in r.classes {
            let c = r.counts[name]
            html +=
                "<tr><td>\(escape(name))</td><td>\(c?.realTrain ?? 0)</td><td>\(c?.realValidation ?? 0)</td><td>\(c?.synthetic ?? 0)</td><td>\(c?.duplicates ?? 0)</td><td>\(c?.quarantined ?? 0)</td><td>\(r.fcd[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.diversity[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.featureDiversity?[name].map { String(format: "%.2f", $0) } ?? "–")</td><td>\(r.nearCopies[name] ?? 0)</td></tr>"
        }
        html +=
            "</table><p>FCD: Fréchet distance between real validation images and synthetic samples in the real-only classifier's penultimate features — FID's idea with Cohort's own features; lower is closer; not comparable to Inception FID. Diversity: mean per-pixel spread of the synthetic samples ÷ that of the real scans of the class (near 0 = the generator repeats itself).</p>"
        html +=
            "<h2>Accuracy</h2><table><tr><th>training</th><th>images</th><th>validation accuracy</th><th>validation balanced acc.</th><th>validation macro-F1</th><th>validation AUC</th>"
        let hasTest = r.variants.contains { $0.test != nil }
        if hasTest { html += "<th>test accuracy</th><th>test macro-F1</th><th>validation − test</th>" }
        html += "</tr>"
        for v in r.variants {
            html +=
                "<tr><td>\(escape(v.training))</td><td>\(v.trainImages)</td><td>\(percent(v.validation.accuracy))</td><td>\(percent(v.validation.balancedAccuracy))</td><td>\(percent(v.validation.macroF1))</td><td>\(v.validation.auc.map { String(format: "%.3f", $0) } ?? "–")</td>"
            if hasTest {
                if let t = v.test {
                    html +=
                        "<td>\(percent(t.accuracy))</td><td>\(percent(t.macroF1))</td><td>\(String(format: "%+.1f points", (v.validation.accuracy - t.accuracy) * 100))</td>"
                } else {
                    html += "<td>–</td><td>–</td><td>–</td>"
                }
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
            html +=
                "<h2>Real and synthetic samples</h2><p>One row per class (\(escape(r.classes.joined(separator: ", ")))): up to 6 real validation scans on the left, up to 6 synthetic samples on the right; every synthetic file is marked in its PNG metadata.</p>"
            html += sampleGrid(r, png: grid)
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
                svg +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(Int(recall * Double(width)))\" height=\"\(barHeight - 2)\" fill=\"\(colors[k % colors.count])\"/>"
                svg +=
                    "<text x=\"\(labelWidth + Int(recall * Double(width)) + 4)\" y=\"\(y + barHeight - 3)\" font-size=\"10\">\(percent(recall))</text>"
            }
        }
        let legendY = r.classes.count * rowHeight + 18
        for (k, v) in r.variants.enumerated() {
            svg +=
                "<rect x=\"\(labelWidth + k * 160)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(colors[k % colors.count])\"/><text x=\"\(labelWidth + k * 160 + 14)\" y=\"\(legendY)\" font-size=\"12\">\(escape(v.training))</text>"
        }
        return svg + "</svg>"
    }

    /// The sample grid (ReportSampleGrid's PNG) with each row's class name on its left and the two sides
    /// named above it, so real and synthetic samples of a class are read side by side.
    static func sampleGrid(_ r: ClassifierReport, png: String) -> String {
        let s = Double(r.imageSize), gap = Double(ReportSampleGrid.gap), side = Double(ReportSampleGrid.perClass)
        let middle = Double(ReportSampleGrid.middle(size: r.imageSize))
        let naturalWidth = 2 * side * (s + gap) - 2 * gap + middle, naturalHeight = Double(r.classes.count) * (s + gap) - gap
        let label = max(60, (r.classes.map { textWidth($0, size: 12) }.max() ?? 0) + 12), header = 22.0
        let scale = min(2, (1000 - label) / naturalWidth)
        let width = label + naturalWidth * scale, height = header + naturalHeight * scale
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width.rounded(.up)))\" height=\"\(Int(height.rounded(.up)))\">"
        svg += "<text x=\"\(label)\" y=\"15\" font-size=\"12\" font-weight=\"600\">real (validation)</text>"
        svg += "<text x=\"\(label + (side * (s + gap) - gap + middle) * scale)\" y=\"15\" font-size=\"12\" font-weight=\"600\">synthetic</text>"
        svg +=
            "<image x=\"\(label)\" y=\"\(header)\" width=\"\(naturalWidth * scale)\" height=\"\(naturalHeight * scale)\" style=\"image-rendering:pixelated\" "
            + "href=\"data:image/png;base64,\(png)\"><title>real (left) and synthetic (right) samples per class</title></image>"
        for (c, name) in r.classes.enumerated() {
            svg += "<text x=\"0\" y=\"\(header + (Double(c) * (s + gap) + s / 2) * scale + 4)\" font-size=\"12\">\(escape(name))</text>"
        }
        return svg + "</svg>"
    }

    /// Width in px of `text` at `size` px in the report's sans-serif face, generously (an average glyph is
    /// about 0.55 em; 0.62 leaves room for wide letters), so whole class names fit their label areas.
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.62 }

    /// A confusion matrix with whole class names: rows labelled on the left, columns by names rotated 45°
    /// above them (a name is never cut short, however long).
    static func confusion(_ m: ClassificationMetrics) -> String {
        let cell = 44.0, fontSize = 11.0
        let n = m.classes.count
        let longest = m.classes.map { textWidth($0, size: fontSize) }.max() ?? 0
        let label = max(60, longest + 10)  // row-label column
        let header = 18 + longest * 0.71 + 8  // "predicted →", then the rotated names' height
        let width = label + Double(n) * cell + longest * 0.71 + 4  // the last rotated name leans right
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width.rounded(.up)))\" height=\"\(Int((header + Double(n) * cell + 4).rounded(.up)))\">"
        svg += "<text x=\"\(label)\" y=\"12\" font-size=\"11\">predicted →</text><text x=\"0\" y=\"\(header - 4)\" font-size=\"11\">true ↓</text>"
        for (j, name) in m.classes.enumerated() {
            let x = label + Double(j) * cell + cell / 2, y = header - 4
            svg += "<text x=\"\(x)\" y=\"\(y)\" font-size=\"10\" transform=\"rotate(-45 \(x) \(y))\">\(escape(name))</text>"
        }
        for i in 0..<n {
            let total = max(1, m.confusion[i].reduce(0, +))
            let top = header + Double(i) * cell
            svg += "<text x=\"0\" y=\"\(top + cell / 2 + 4)\" font-size=\"11\">\(escape(m.classes[i]))</text>"
            for j in 0..<n {
                let share = Double(m.confusion[i][j]) / Double(total)
                let shade = Int(255 - share * 200)
                let left = label + Double(j) * cell
                svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(cell - 1)\" height=\"\(cell - 1)\" fill=\"rgb(\(shade),\(shade),255)\"/>"
                svg +=
                    "<text x=\"\(left + cell / 2)\" y=\"\(top + cell / 2 + 4)\" font-size=\"11\" text-anchor=\"middle\">\(m.confusion[i][j])</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Training loss of every variant against its step, smoothed over 1% of the run, with values on both axes.
    static func lossCurves(_ variants: [ReportVariant]) -> String {
        let width = 640.0, height = 220.0, left = 48.0, top = 20.0, bottom = 40.0, right = 20.0
        let all = variants.flatMap(\.losses).filter(\.isFinite)
        guard let highest = all.max(), !all.isEmpty else { return "<p>no losses recorded</p>" }
        let longest = Double(max(2, variants.map(\.losses.count).max() ?? 2))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + width + right))\" height=\"\(Int(top + height + bottom))\">"
        svg +=
            "<line x1=\"\(left)\" y1=\"\(top + height)\" x2=\"\(left + width)\" y2=\"\(top + height)\" stroke=\"#999\"/><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + height)\" stroke=\"#999\"/>"
        // Axis values: loss 0, half and the highest (left); step 1, the middle and the last (below).
        for fraction in [0.0, 0.5, 1.0] {
            let y = top + height - fraction * height
            svg += "<line x1=\"\(left - 4)\" y1=\"\(y)\" x2=\"\(left)\" y2=\"\(y)\" stroke=\"#999\"/>"
            svg +=
                "<text class=\"axis-value\" x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.2f", Double(highest) * fraction))</text>"
            let x = left + fraction * width
            let step = Int((fraction * (longest - 1)).rounded()) + 1
            svg += "<line x1=\"\(x)\" y1=\"\(top + height)\" x2=\"\(x)\" y2=\"\(top + height + 4)\" stroke=\"#999\"/>"
            svg +=
                "<text class=\"axis-value\" x=\"\(x)\" y=\"\(top + height + 16)\" font-size=\"10\" text-anchor=\"\(fraction == 0 ? "start" : fraction == 1 ? "end" : "middle")\">\(step)</text>"
        }
        svg += "<text x=\"\(left + width / 2)\" y=\"\(top + height + 34)\" font-size=\"11\" text-anchor=\"middle\">training step</text>"
        svg += "<text x=\"\(left - 40)\" y=\"\(top - 8)\" font-size=\"11\">loss</text>"
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
                points.append(String(format: "%.1f,%.1f", left + Double(i) / (longest - 1) * width, top + height - mean / Double(highest) * height))
            }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[k % colors.count])\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
            svg +=
                "<text x=\"\(left + width - 150)\" y=\"\(top + 14 + Double(k) * 14)\" font-size=\"11\" fill=\"\(colors[k % colors.count])\">\(escape(v.training))</text>"
        }
        return svg + "</svg>"
    }
}
