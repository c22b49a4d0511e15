// swift-tools-version: 6.2
// Warden: serves only models it can prove are approved. See ../shared/DESIGN.md for the map.
import PackageDescription

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "warden", targets: ["WardenCLI"]),
        .library(name: "WardenONNX", targets: ["WardenONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The engine depends on nothing: it parses untrusted model files and must stay fuzzable alone.
        // JSON values and a bounded parser, shared by the engine's tools, schemas and the server.
        .target(name: "WardenJSON"),
        // Built with bounds checks on in every configuration: memory safety is the point of it.
        .target(name: "WardenONNX", dependencies: ["WardenJSON"]),
        .executableTarget(
            name: "WardenCLI",
            dependencies: [
                "WardenJSON",
                "WardenONNX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "WardenONNXTests",
            dependencies: ["WardenJSON", "WardenONNX"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
