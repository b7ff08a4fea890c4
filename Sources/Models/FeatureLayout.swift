// PyTorch flattens image features in NCHW order (index c·H·W + h·W + w) and the GAN's Linear layers
// depend on that order; the engine keeps NHWC. These two permutations translate at the boundary
// (generator: Linear output → image; discriminator: image → flattened features).
import Kernels
import Tensor

enum FeatureLayout {
    /// features[N, C·H·W] (NCHW order) → image[N, H, W, C].
    static func unflatten(_ features: Tensor, into image: Tensor, n: Int, c: Int, h: Int, w: Int) {
        LayoutKernel.nchwToNHWC(features.data, image.data, n: n, c: c, h: h, w: w)
    }

    /// image[N, H, W, C] → features[N, C·H·W] (NCHW order).
    static func flatten(_ image: Tensor, into features: Tensor, n: Int, c: Int, h: Int, w: Int) {
        LayoutKernel.nhwcToNCHW(image.data, features.data, n: n, c: c, h: h, w: w)
    }
}
