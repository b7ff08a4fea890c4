// swift-tools-version: 6.1
// Cohort: a daemon that keeps medical-image training sets balanced with a conditional GAN.
// Layering (arrows point down only) is described in docs/ARCHITECTURE notes and README.md.
import PackageDescription

/// Release builds of the numeric targets may later add `-Ounchecked`; keep one place to say so.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C system libraries (module map + shim header only)
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]),

        // MARK: Thin Swift wrappers and libraries
        .target(name: "BLAS", dependencies: ["CBLAS"], swiftSettings: numericSettings),
        .target(name: "AtomicFile"),
        .target(name: "ImageIO", dependencies: ["CPNG", "CTurboJPEG", "AtomicFile"]),

        // MARK: Executables (thin command-line surfaces)
        .executableTarget(
            name: "cohort",
            dependencies: [
                "BLAS", "ImageIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: Tests
        .target(name: "CohortTestSupport"),
        .testTarget(name: "BLASTests", dependencies: ["BLAS"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "CohortTestSupport", "AtomicFile"]),
    ]
)
