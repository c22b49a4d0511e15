// swift-tools-version: 6.2
// libFuzzer targets for Warden's untrusted-input parsers. Kept out of the main package:
// they need `-parse-as-library` and sanitizer builds. See docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "WardenFuzz",
    dependencies: [.package(name: "Warden", path: "..")],
    targets: [
        .executableTarget(
            name: "ONNXLoaderFuzzer",
            dependencies: [.product(name: "WardenONNX", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "JSONParserFuzzer",
            dependencies: [.product(name: "WardenJSON", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "RegoFuzzer",
            dependencies: [.product(name: "WardenPolicy", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "OCIManifestFuzzer",
            dependencies: [.product(name: "WardenRegistry", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "InferenceDecoderFuzzer",
            dependencies: [.product(name: "WardenServer", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "PeerVerifierFuzzer",
            dependencies: [.product(name: "WardenServer", package: "Warden")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
