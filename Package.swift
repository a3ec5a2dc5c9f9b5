// swift-tools-version: 6.0

import PackageDescription

let package = Package(
    name: "stylectl",
    products: [
        .executable(name: "stylectl", targets: ["stylectl"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "ImageCodec", targets: ["ImageCodec"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "StyleTransfer", targets: ["StyleTransfer"]),
        .library(name: "StyleReports", targets: ["StyleReports"]),
        .library(name: "StyleVideo", targets: ["StyleVideo"]),
        // The C API (Sources/CStylectl/stylectl.h) as libStyleCAPI.so: the product name `stylectl` is the
        // executable's, so the Python package (python/) installs this file as stylectl/libstylectl.so.
        .library(name: "StyleCAPI", type: .dynamic, targets: ["StyleCAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML sweep specs (stylectl sweep --spec FILE.yaml).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // SHA-256 of the manifests' inputs and weights.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // ffmpeg and ffprobe as child processes, their frames streamed through pipes (stylectl video).
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // MARK: - C libraries
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // OpenBLAS's sgemm, for the products of TensorCore's Winograd convolutions.
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        // libgd, for the contact sheets of StyleReports.
        .systemLibrary(name: "CGD", pkgConfig: "gdlib", providers: [.apt(["libgd-dev"])]),
        // libjpeg and libpng decoding with their setjmp error handling, which Swift cannot do.
        .target(name: "CCodecShims", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),

        // MARK: - Libraries (arrows point down: StyleTransfer -> TensorCore, ImageCodec, Checkpoints)
        .target(name: "TensorCore", dependencies: ["CDNNL", "COpenBLAS"]),
        .target(name: "ImageCodec", dependencies: ["CPNG", "CCodecShims"]),
        .target(name: "Checkpoints"),
        .target(name: "StyleTransfer", dependencies: ["TensorCore", "ImageCodec", "Checkpoints"]),
        // Video through ffmpeg: frames through the stylization pipeline, keyframed controls, flicker (stylectl video).
        .target(name: "StyleVideo", dependencies: ["StyleTransfer", "ImageCodec", .product(name: "Subprocess", package: "swift-subprocess")]),
        // Parameter sweeps, their manifests, metrics, contact sheets and HTML index (stylectl sweep), and video reports.
        .target(name: "StyleReports", dependencies: ["StyleTransfer", "StyleVideo", "ImageCodec", "TensorCore", "CGD", .product(name: "Yams", package: "Yams"),
                                                   .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: - C API
        // stylectl.h, the C declarations the exported functions implement (header only: nothing to link).
        .systemLibrary(name: "CStylectl"),
        // The C API over StylizationPipeline: @_cdecl functions, typed errors as status and message, a lock per stylizer.
        .target(name: "StyleCAPI", dependencies: ["CStylectl", "StyleTransfer", "ImageCodec", "TensorCore"]),

        // MARK: - Executables
        .executableTarget(
            name: "stylectl",
            dependencies: [
                "StyleTransfer", "StyleReports", "StyleVideo", "ImageCodec", "Checkpoints", "TensorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "stylebench", dependencies: ["StyleTransfer", "StyleReports", "StyleVideo", "ImageCodec", "Checkpoints", "TensorCore"]),
        // Seeded mutation fuzzing of the file readers (images, weight files, sweep specs, manifests).
        .executableTarget(
            name: "stylefuzz",
            dependencies: [
                "ImageCodec", "Checkpoints", "StyleTransfer", "StyleReports", "TensorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "TestSupport"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "TensorCore", "TestSupport"]),
        .testTarget(name: "StyleTransferTests", dependencies: ["StyleTransfer", "TestSupport"]),
        .testTarget(name: "StyleReportsTests", dependencies: ["StyleReports", "StyleTransfer", "ImageCodec", "TestSupport"]),
        .testTarget(name: "StyleVideoTests", dependencies: ["StyleVideo", "StyleTransfer", "ImageCodec", "TestSupport"]),
        .testTarget(name: "stylectlTests", dependencies: ["stylectl", "StyleReports", "ImageCodec", "TestSupport"]),
    ]
)

for target in package.targets where target.type != .system && target.name != "CCodecShims" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
