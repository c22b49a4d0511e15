import Testing
import WardenTrust

@testable import WardenRegistry

@Suite struct ArtifactReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test func layoutReferences() throws {
        let tagged = try ArtifactReference(parsing: "oci:/srv/models:churn-v1")
        #expect(tagged.location == .layout(path: "/srv/models") && tagged.reference == "churn-v1" && tagged.digest == nil)
        let pinned = try ArtifactReference(parsing: "oci:relative/dir@\(Self.digest)")
        #expect(pinned.location == .layout(path: "relative/dir") && pinned.digest?.description == Self.digest)
        #expect(pinned.description == "oci:relative/dir@\(Self.digest)")
    }

    @Test func registryReferences() throws {
        let tagged = try ArtifactReference(parsing: "127.0.0.1:5000/models/churn:v1")
        #expect(tagged.location == .registry(host: "127.0.0.1:5000", repository: "models/churn") && tagged.reference == "v1")
        let untagged = try ArtifactReference(parsing: "registry.example/team/model")
        #expect(untagged.reference == "latest")
        let pinned = try ArtifactReference(parsing: "registry.example/team/model@\(Self.digest)")
        #expect(pinned.digest != nil && pinned.repositoryName == "registry.example/team/model")
    }

    /// NAME:TAG@sha256:… pulls the digest and keeps the tag to check it still points there.
    @Test func tagAndDigestTogether() throws {
        let layout = try ArtifactReference(parsing: "oci:/srv/models:churn-v1@\(Self.digest)")
        #expect(layout.location == .layout(path: "/srv/models") && layout.reference == Self.digest && layout.tag == "churn-v1")
        #expect(layout.description == "oci:/srv/models:churn-v1@\(Self.digest)")
        let registry = try ArtifactReference(parsing: "127.0.0.1:5000/models/churn:v1@\(Self.digest)")
        #expect(registry.location == .registry(host: "127.0.0.1:5000", repository: "models/churn"))
        #expect(registry.reference == Self.digest && registry.tag == "v1")
        #expect(try ArtifactReference(parsing: "oci:/srv/models@\(Self.digest)").tag == nil)
    }

    @Test(arguments: [
        "oci:", "oci:/path", "oci:/path:bad tag", "oci:/p@sha256:1234", "noslash", "host/UPPER:v1", "host/repo:-dash",
        "host/repo@sha256:zz", "host//double:v1", "oci:/p:bad tag@sha256:\(String(repeating: "ab", count: 32))",
    ])
    func malformedReferencesAreRefused(_ text: String) {
        #expect(throws: RegistryError.self) { try ArtifactReference(parsing: text) }
    }
}

@Suite struct AuthChallengeTests {
    @Test func bearerChallengeWithQuotedParameters() throws {
        let challenge = try #require(
            AuthChallenge(header: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters["realm"] == "https://auth.example/token")
        #expect(challenge.parameters["service"] == "registry.example")
        #expect(challenge.parameters["scope"] == "repository:a/b:pull")
    }

    @Test func basicChallenge() throws {
        let challenge = try #require(AuthChallenge(header: #"Basic realm="warden-test""#))
        #expect(challenge.scheme == "basic" && challenge.parameters["realm"] == "warden-test")
    }

    @Test func emptyHeaderIsNoChallenge() {
        #expect(AuthChallenge(header: "") == nil)
    }
}
