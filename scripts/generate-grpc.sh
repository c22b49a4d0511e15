#!/usr/bin/env bash
# Regenerates the Swift code for Warden's gRPC protocols (Protos/ → Sources/WardenGRPCProtocol/Generated)
# with protoc from Debian's protobuf-compiler and the two plugins built from the package
# mirrors: protoc-gen-swift (swift-protobuf) and protoc-gen-grpc-swift-2 (grpc-swift-protobuf).
# The output is committed; CI and the build never run this (the plugins take ~10 minutes to
# build on 2 cores). Run it after editing a .proto file, and commit what it writes.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null 2>&1; then
    echo "generate-grpc: installing protobuf-compiler (protoc)"
    apt-get install -y -qq protobuf-compiler >/dev/null
fi

# The plugins are products of Warden's own dependencies, built in a folder of their own so the
# main build is not disturbed (.build-* is ignored by git).
scratch=.build-protoc-plugins
for plugin in protoc-gen-swift protoc-gen-grpc-swift-2; do
    swift build -c release --scratch-path "$scratch" --product "$plugin"
done
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)

out=Sources/WardenGRPCProtocol/Generated
rm -rf "$out"
mkdir -p "$out"
protos=(inference/grpc_predict_v2.proto grpc/health/v1/health.proto)
protoc --proto_path=Protos \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --swift_out="$out" --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    "${protos[@]}"
# The service stubs are generated code: swift-format (checked in CI) leaves them as written.
for file in "$out"/*.grpc.swift; do
    printf '// swift-format-ignore-file\n%s\n' "$(cat "$file")" >"$file"
done
echo "generate-grpc: wrote $(ls "$out" | wc -l) files into $out (protoc $(protoc --version | cut -d' ' -f2))"
