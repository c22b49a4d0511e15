// swift-tools-version: 6.2
// Warden: serves only models it can prove are approved. See ../shared/DESIGN.md for the map.
import PackageDescription

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "warden", targets: ["WardenCLI"]),
        .library(name: "WardenONNX", targets: ["WardenONNX"]),
        .library(name: "WardenJSON", targets: ["WardenJSON"]),
        // For the libFuzzer targets in Fuzz/ (parsers of untrusted input).
        .library(name: "WardenPolicy", targets: ["WardenPolicy"]),
        .library(name: "WardenRegistry", targets: ["WardenRegistry"]),
        .library(name: "WardenServer", targets: ["WardenServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Open Inference Protocol v2 over gRPC (and grpc.health.v1), generated code committed.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // OTLP/HTTP only: the gRPC exporter's dependencies are resolved but not built.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // JSON values and a bounded parser, shared by the engine's tools, schemas and the server.
        .target(name: "WardenJSON"),
        // The engine depends on no package: it parses untrusted model files and must stay fuzzable
        // alone. Built with bounds checks on in every configuration: memory safety is the point of it.
        .target(name: "WardenONNX", dependencies: ["WardenJSON"]),
        // JSON Schema (2020-12, 2019-09, draft-07); the official meta-schemas are compiled in.
        .target(name: "WardenSchema", dependencies: ["WardenJSON"], resources: [.embedInCode("MetaSchemas/meta-schemas.json")]),
        // Strict YAML configuration reading: unknown keys and wrong types are errors.
        .target(name: "WardenConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Rego: parser and evaluator for OPA policies (v1 and v0 syntax), with OPA's builtins.
        .target(
            name: "WardenPolicy",
            dependencies: [
                "WardenJSON", "WardenSchema", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"), .product(name: "BigInt", package: "BigInt"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Artifact trust: digests, DSSE, Sigstore bundles, OpenSSF model-signing, cosign simple
        // signing, in-toto attestations, revocation lists. Knows nothing of HTTP or registries.
        .target(
            name: "WardenTrust",
            dependencies: [
                "WardenJSON",
                "WardenConfig",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // The PKCS#11 ABI, declared by the project: modules are loaded with dlopen, never linked.
        .target(name: "CPKCS11"),
        // Keys that never leave an HSM (PKCS#11) or AWS KMS, opened by reference (`pkcs11:`,
        // `awskms://`) wherever a key file is accepted.
        .target(
            name: "WardenKeys",
            dependencies: [
                "CPKCS11",
                "WardenJSON",
                "WardenTrust",
                "WardenRegistry",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // prctl(2) for the runtime self-check: variadic in C, so wrapped in fixed signatures.
        .target(name: "CWardenLinux"),
        // The serving core, free of HTTP: models and their contracts, admission, the engine
        // runner, release routing, the request policy and the inference pipeline. Both
        // protocols (HTTP in WardenServer, gRPC beside it) drive the same pipeline.
        .target(
            name: "WardenServing",
            dependencies: [
                "WardenJSON",
                "WardenONNX",
                "WardenConfig",
                "WardenTrust",
                "WardenRegistry",
                "WardenPolicy",
                "WardenSchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The messages and service stubs of Protos/ (OIP v2 gRPC, grpc.health.v1), generated by
        // scripts/generate-grpc.sh and committed.
        .target(
            name: "WardenGRPCProtocol",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The HTTP application: Open Inference Protocol v2, KServe v1, health, lifecycle.
        .target(
            name: "WardenServer",
            dependencies: [
                "CWardenLinux",
                "WardenServing",
                "WardenJSON",
                "WardenONNX",
                "WardenConfig",
                "WardenTrust",
                "WardenRegistry",
                "WardenPolicy",
                "WardenSchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                "WardenGRPCProtocol",
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The OpenAPI document is compiled into the binary: served as is at /openapi.json.
            resources: [.embedInCode("OpenAPI/openapi.json")]
        ),
        // OCI distribution client and OCI image-layout folder; every read verified by digest.
        .target(
            name: "WardenRegistry",
            dependencies: [
                "WardenJSON",
                "WardenTrust",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .executableTarget(
            name: "WardenCLI",
            dependencies: [
                "WardenJSON",
                "WardenONNX",
                "WardenServer",
                "WardenServing",
                "WardenTrust",
                "WardenKeys",
                "WardenRegistry",
                "WardenPolicy",
                "WardenSchema",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // benchmarks/grpc_vs_rest.py's gRPC load generator and bare-handler ceiling.
        .executableTarget(
            name: "warden-grpc-bench",
            dependencies: [
                "WardenGRPCProtocol",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ],
            path: "benchmarks/GRPCBench"
        ),
        // benchmarks/ceiling.py's ceiling: a bare Hummingbird handler of the infer route's shape.
        .executableTarget(
            name: "warden-http-bench",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ],
            path: "benchmarks/HTTPBench"
        ),
        .testTarget(
            name: "WardenONNXTests",
            dependencies: ["WardenJSON", "WardenONNX"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "WardenJSONTests", dependencies: ["WardenJSON"]),
        .testTarget(name: "WardenRegistryTests", dependencies: ["WardenRegistry", "WardenTrust"]),
        .testTarget(name: "WardenSchemaTests", dependencies: ["WardenSchema", "WardenJSON"]),
        .testTarget(name: "WardenPolicyTests", dependencies: ["WardenPolicy", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "WardenTrustTests",
            dependencies: [
                "WardenJSON",
                "WardenTrust",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "WardenServerTests",
            dependencies: [
                "WardenJSON",
                "WardenConfig",
                "WardenONNX",
                "WardenServer",
                "WardenServing",
                "WardenTrust",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "WardenKeysTests",
            dependencies: ["WardenKeys", "WardenTrust"]
        ),
        // The serving core driven without HTTP, TLS or Python.
        .testTarget(name: "WardenServingTests", dependencies: ["WardenJSON", "WardenONNX", "WardenRegistry", "WardenServing", "WardenTrust"]),
    ]
)
