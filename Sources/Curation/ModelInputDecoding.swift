// The one decode-for-model path of `cohort experiment` and `cohort audit`: a scan decoded (ImageIO),
// its shorter side resized to the model size with Pillow's filter and centre-cropped, normalized to
// [-1, 1] Float32, and fingerprinted from the same resized pixels. cohortd's ingest makes the same
// two calls per file (Preprocessor.resizeShorterSideAndCenterCrop, ImageFingerprint).
import Foundation
import ImageIO

public enum ModelInputDecoding {
    /// Decodes and preprocesses every file of `folder` at `size` on `workers` workers; refuses undecodable
    /// ones with their reason. `images[i]` and `prints[i]` are nil for a refused file.
    public static func decode(_ folder: ImageFolder, size: Int, decoder: ImageDecoder = ImageDecoder(), workers: Int = ParallelMap.processors)
        -> (images: [[Float]?], prints: [ImageFingerprint?], refused: [LeakageReport.Refusal])
    {
        let outcomes = ParallelMap.map(folder.items.count, workers: workers) { i -> Result<([Float], ImageFingerprint), ImageDecodeError> in
            do throws(ImageDecodeError) {
                // Resize the full-resolution scan once; the fingerprint's own resize is then a copy.
                let model = Preprocessor.resizeShorterSideAndCenterCrop(try decoder.decode(path: folder.items[i].path).image, to: size)
                return .success((Preprocessor.normalize(model), ImageFingerprint(model, modelSize: size)))
            } catch {
                return .failure(error)
            }
        }
        var images: [[Float]?] = []
        var prints: [ImageFingerprint?] = []
        var refused: [LeakageReport.Refusal] = []
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let (image, print)):
                images.append(image)
                prints.append(print)
            case .failure(let error):
                images.append(nil)
                prints.append(nil)
                refused.append(.init(path: folder.items[i].path, reason: error.message))
            }
        }
        return (images, prints, refused)
    }
}
