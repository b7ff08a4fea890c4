// swift-tools-version: 6.1
// Cohort: a daemon that keeps medical-image training sets balanced with a conditional GAN.
// Layering (arrows point down only) is described in README.md ("Repository layout") and docs/daemon.md.
import PackageDescription

/// Settings of the numeric targets (Tensor, Kernels, NN). Their parallel loops hand raw pointers to
/// disjoint ranges of one buffer to concurrent workers: race-free by construction, but not expressible
/// to Swift 6's Sendable checking, so these targets compile in the Swift 5 language mode (same
/// compiler, same optimizations; concurrency diagnostics become warnings).
let numericSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v5),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        .executable(name: "cohortd", targets: ["cohortd"]),
        .executable(name: "cohortctl", targets: ["cohortctl"]),
        .executable(name: "cohort-dicom-helper", targets: ["cohort-dicom-helper"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1")
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
            name: "CLibCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]),

        // GDCM (C++) behind a plain C header: the shim catches every exception. GDCM ships no pkg-config
        // file, so its headers and libraries are named here (Debian's libgdcm-dev). Only the helper
        // executable links it: GDCM's assertions abort, so it never runs inside cohortd or cohort.
        .target(
            name: "CDICOM",
            cxxSettings: [.unsafeFlags(["-I/usr/include/gdcm-3.0"])],
            linkerSettings: [
                .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmDICT"), .linkedLibrary("gdcmIOD"),
                .linkedLibrary("gdcmCommon"), .linkedLibrary("stdc++")
            ]),

        // MARK: Thin Swift wrappers and libraries
        .target(name: "BLAS", dependencies: ["CBLAS"], swiftSettings: numericSettings),
        .target(name: "AtomicFile"),
        .target(name: "ContentHash", dependencies: ["CLibCrypto"]),
        .target(name: "Tensor", dependencies: ["BLAS"], swiftSettings: numericSettings),
        .target(name: "Kernels", dependencies: ["Tensor", "BLAS"], swiftSettings: numericSettings),
        .target(name: "NN", dependencies: ["Kernels", "Tensor", "AtomicFile"], swiftSettings: numericSettings),
        .target(name: "Models", dependencies: ["NN", "Kernels", "Tensor"], swiftSettings: numericSettings),
        // Dataset hygiene the daemon's correctness depends on (fingerprints, near-duplicates, the split, the
        // leakage audit, memorization, decoding for the model): Swift 6 mode, no model or engine code.
        .target(
            name: "Curation",
            dependencies: ["ImageIO", "BLAS", "ContentHash"]),
        .target(
            name: "Training",
            dependencies: ["Curation", "Models", "NN", "Kernels", "Tensor", "BLAS", "ImageIO", "ContentHash", "AtomicFile"],
            swiftSettings: numericSettings),
        .target(name: "ImageIO", dependencies: ["CPNG", "CTurboJPEG", "ContentHash", "AtomicFile"]),
        .target(name: "FileWatch", dependencies: ["CInotifyTools"]),
        // The control protocol (Foundation only): shared by cohortd and cohortctl.
        .target(name: "CohortControl"),
        .target(name: "CohortControlClient", dependencies: ["CohortControl"]),
        .target(
            name: "Catalog",
            dependencies: ["ImageIO", "AtomicFile", .product(name: "GRDB", package: "GRDB.swift"), "ContentHash"]),
        .target(
            name: "CohortDaemon",
            dependencies: [
                "FileWatch", "Catalog", "Curation", "Training", "Models", "ImageIO", "AtomicFile", "BLAS", "Tensor", "Kernels", "CohortControl",
                "ContentHash",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus")
            ]),

        // MARK: Executables (thin command-line surfaces)
        // GDCM in a process of its own, spawned by ImageIO per DICOM file (C++, no Swift).
        .executableTarget(name: "cohort-dicom-helper", dependencies: ["CDICOM"]),
        .executableTarget(
            name: "cohort",
            dependencies: [
                "BLAS", "ImageIO", "Curation", "Training", "Catalog", "AtomicFile", "ContentHash",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        // cohortctl speaks the protocol only: it imports nothing else of Cohort's.
        .executableTarget(
            name: "cohortctl",
            dependencies: ["CohortControl", "CohortControlClient", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "cohortd",
            dependencies: [
                "CohortDaemon", "CohortControl", "Catalog", "BLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ]),

        // MARK: Tests
        .target(name: "CohortTestSupport", dependencies: ["NN", "Kernels", "Tensor", "ImageIO", "CohortControlClient"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS"]),
        .testTarget(name: "ContentHashTests", dependencies: ["ContentHash"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "CohortTestSupport", "AtomicFile"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Kernels", "Tensor", "CohortTestSupport"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CurationTests", dependencies: ["Curation", "ImageIO", "CohortTestSupport"]),
        .testTarget(
            name: "TrainingTests", dependencies: ["Curation", "Training", "Models", "NN", "Tensor", "ImageIO", "ContentHash", "CohortTestSupport"]),
        .testTarget(name: "CohortControlTests", dependencies: ["CohortControl"]),
        .testTarget(name: "FileWatchTests", dependencies: ["FileWatch", "CohortTestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "CohortTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "CohortDaemonTests",
            dependencies: [
                "CohortDaemon", "Catalog", "Training", "ImageIO", "Tensor", "FileWatch", "ContentHash", "CohortTestSupport",
                .product(name: "GRDB", package: "GRDB.swift")
            ]),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "NN", "Kernels", "Tensor", "CohortTestSupport"], swiftSettings: [.swiftLanguageMode(.v5)])
    ]
)
