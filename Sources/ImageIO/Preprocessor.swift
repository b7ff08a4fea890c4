// Turns a decoded scan into a model input: shorter side to the model size, centre crop, [-1, 1].
// The geometry follows ../shared/data/README.md exactly (integer rounding of the long side,
// floor-centred crop), so the same source file gives the same pixels here as there.

/// Model-size preprocessing of gray images.
public enum Preprocessor {
    /// Resizes (bicubic, Pillow-exact for 8-bit) so the shorter side is `size`, then centre-crops to
    /// `size × size`. The long side becomes `(long · size + short / 2) / short`; the crop starts at
    /// `((W − size) / 2, (H − size) / 2)`. 16-bit images stay 16-bit.
    public static func resizeShorterSideAndCenterCrop(_ image: GrayImage, to size: Int) -> GrayImage {
        precondition(size > 0, "Preprocessor: size must be positive")
        let (width, height) = (image.width, image.height)
        let short = min(width, height)
        let long = max(width, height)
        let scaledLong = (long * size + short / 2) / short
        let outWidth = width <= height ? size : scaledLong
        let outHeight = width <= height ? scaledLong : size
        return PillowResampler.resizeAndCrop(
            image, outWidth: outWidth, outHeight: outHeight,
            left: (outWidth - size) / 2, top: (outHeight - size) / 2, cropWidth: size, cropHeight: size)
    }

    /// Maps samples linearly to [-1, 1]: 0 → −1, `maxValue` → +1 (full 16-bit precision kept).
    public static func normalize(_ image: GrayImage) -> [Float] {
        let scale = 2.0 / Float(image.maxValue)
        return image.samples.map { Float($0) * scale - 1 }
    }

    /// `resizeShorterSideAndCenterCrop` then `normalize`: `size * size` Float32 values, row-major.
    public static func modelInput(_ image: GrayImage, size: Int) -> [Float] {
        normalize(resizeShorterSideAndCenterCrop(image, to: size))
    }
}
