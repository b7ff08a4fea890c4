// Test-time augmentation: a classifier's class probabilities averaged over a few fixed views of each
// image — the image itself, a slight zoom-in (the training crop's middle) and small left/right shifts,
// each mirrored too when the dataset allows horizontal flips (brain MRI, never chest X-rays). An option of
// the evaluation, reported beside the plain figures, never instead of them: it costs one inference per view.
import Tensor

public struct TestTimeAugmentation: Sendable, Equatable {
    /// One deterministic view: zoom about the centre (1: none), a horizontal shift as a fraction of the
    /// image size, and an optional mirror.
    public struct View: Sendable, Equatable {
        public var zoom: Float
        public var shift: Float
        public var flip: Bool

        public init(zoom: Float = 1, shift: Float = 0, flip: Bool = false) {
            self.zoom = zoom
            self.shift = shift
            self.flip = flip
        }
    }

    public var views: [View]

    public init(views: [View]) {
        precondition(!views.isEmpty, "TestTimeAugmentation: at least one view")
        self.views = views
    }

    /// Identity, a zoom-in of 1/√0.85 (the middle of the training crops' area range 0.7–1) and shifts of
    /// ±4% (inside the training range ±6%); with `horizontalFlip`, each mirrored as well (10 views).
    public static func standard(horizontalFlip: Bool) -> TestTimeAugmentation {
        let base = [View(), View(zoom: 1 / Float(0.85).squareRoot()), View(shift: 0.04), View(shift: -0.04)]
        return TestTimeAugmentation(views: horizontalFlip ? base + base.map { View(zoom: $0.zoom, shift: $0.shift, flip: true) } : base)
    }

    /// Writes `view` of every image of `source` [N, S, S, 1] into `output` (same shape).
    static func render(_ view: View, of source: Tensor, into output: Tensor) {
        let (n, s) = (source.shape[0], source.shape[1])
        if view == View() {
            output.data.update(from: source.data, count: n * s * s)
            return
        }
        for i in 0..<n {
            let image = Array(UnsafeBufferPointer(start: source.data + i * s * s, count: s * s))
            RadiographAugmentation.warp(
                image, into: output.data + i * s * s, size: s, angle: 0, zoom: view.zoom,
                shift: (view.shift * Float(s), 0), flip: view.flip)
        }
    }
}
