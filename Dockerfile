# syntax=docker/dockerfile:1
# Warden's image: a release build with the Swift runtime linked in, on distroless (glibc, the CA
# roots, no shell, no package manager) plus the binary and zlib, running as uid 65532.
# Build: docker build -t warden . ; the Compose lab (deploy/compose) and the Kubernetes
# manifests (deploy/kubernetes) run it; docs/deploy.md says how it is checked.

FROM swift:6.3.1-bookworm AS build
WORKDIR /src
# The manifest alone first, so dependency resolution is cached apart from source edits.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib: the Swift runtime and Foundation are linked into the binary, which
# then needs glibc and libstdc++ (distroless/cc) and zlib (HTTP compression), copied here into
# the same multiarch folder; `ldd` on the binary lists nothing else.
RUN swift build -c release --product warden --static-swift-stdlib \
    && install -D -m 0555 "$(swift build -c release --show-bin-path)/warden" /out/usr/local/bin/warden \
    && zlib="/usr/lib/$(uname -m)-linux-gnu/libz.so.1" \
    && install -D -m 0444 "$(readlink -f "$zlib")" "/out$zlib"

# distroless/cc-debian12:nonroot, pinned by digest: a rebuild gets exactly these bytes.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
COPY --from=build --chown=0:0 /out/ /
USER 65532:65532
EXPOSE 8443 8081
# No curl in the image: warden health asks the probe port itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/warden", "health", "--port", "8081"]
ENTRYPOINT ["/usr/local/bin/warden"]
CMD ["serve", "--help"]
