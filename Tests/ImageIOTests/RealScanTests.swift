// Real scans from ../shared/data: the raw brain-MRI JPEGs preprocessed here must match the PNGs that
// were made from them with Pillow; every raw sample must decode. Skips, saying why, without ../shared.
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite(.enabled(if: SharedData.root != nil, Comment(rawValue: SharedData.absentMessage)))
struct RealScanTests {
    @Test func brainMRIRawSamplesMatchConvertedPNGs() throws {
        let raws = SharedData.files("raw-samples/brain-mri", extensions: ["jpg", "jpeg", "png"])
        try #require(!raws.isEmpty, "no raw brain-MRI samples found")
        let root = SharedData.root!
        let decoder = ImageDecoder()
        var compared = 0
        var worstMean = 0.0
        var worstFile = ""
        for raw in raws {
            let relative = raw.dropFirst("\(root)/raw-samples/brain-mri/".count)
            let parts = relative.split(separator: "/")
            let stem = (String(parts.last!) as NSString).deletingPathExtension
            let reference = "\(root)/brain-mri/train/\(parts.first!)/\(stem).png"
            guard FileManager.default.fileExists(atPath: reference) else { continue }
            let ours = Preprocessor.resizeShorterSideAndCenterCrop(try decoder.decode(path: raw).image, to: 128)
            let theirs = try decoder.decode(path: reference).image
            #expect(theirs.width == 128 && theirs.height == 128)
            let total = zip(ours.samples, theirs.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
            let mean = Double(total) / Double(128 * 128)
            if mean >= worstMean { (worstMean, worstFile) = (mean, raw) }
            #expect(mean <= 2, "\(raw): mean absolute difference \(mean) grey levels")
            compared += 1
        }
        #expect(compared >= 40, "only \(compared) raw samples had a matching PNG")
        print("brain-MRI raw → 128 px: \(compared) files, worst mean |Δ| = \(worstMean) grey levels (\(worstFile))")
    }

    @Test func everyRawSampleDecodes() throws {
        let raws = SharedData.files("raw-samples", extensions: ["jpg", "jpeg", "png"])
        try #require(!raws.isEmpty)
        let refused = raws.map { ImageInspection.inspect($0) }.filter { !$0.ok }
        #expect(refused.isEmpty, "refused: \(refused.map { "\($0.path): \($0.reason ?? "")" })")
    }
}
