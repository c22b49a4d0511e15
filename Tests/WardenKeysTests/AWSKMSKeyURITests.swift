import XCTest

@testable import WardenKeys

/// cosign's `awskms://` references and where the region comes from.
final class AWSKMSKeyURITests: XCTestCase {
    func testKeyIDsAliasesAndARNs() throws {
        let id = try AWSKMSKeyURI(parsing: "awskms:///1234abcd-12ab-34cd-56ef-1234567890ab")
        XCTAssertNil(id.endpoint)
        XCTAssertEqual(id.keyID, "1234abcd-12ab-34cd-56ef-1234567890ab")
        let alias = try AWSKMSKeyURI(parsing: "awskms://localhost:4566/alias/release-signer")
        XCTAssertEqual(alias.endpoint, "localhost:4566")
        XCTAssertEqual(alias.keyID, "alias/release-signer")
        let arn = try AWSKMSKeyURI(parsing: "awskms:///arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        XCTAssertEqual(arn.arnRegion, "eu-central-1")
        XCTAssertEqual(try AWSEnvironment.current([:]).region(for: arn), "eu-central-1")
    }

    func testMalformedReferencesAreRefused() {
        for text in [
            "awskms://", "awskms://host", "awskms:///", "awskms:///arn:aws:kms:eu-west-1:12345:key/x", "awskms:///not a key",
            "awskms:///arn:aws:s3:eu-west-1:123456789012:key/x", "awskms://host/path?x=1", "awskms://ho st/abc",
        ] {
            XCTAssertThrowsError(try AWSKMSKeyURI(parsing: text), text)
        }
    }

    func testRegionFromEnvironmentThenConfigFileElseAnError() throws {
        let key = try AWSKMSKeyURI(parsing: "awskms:///alias/release")
        XCTAssertEqual(try AWSEnvironment.current(["AWS_REGION": "us-west-2"]).region(for: key), "us-west-2")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("aws-config-\(UUID().uuidString)")
        try "[default]\nregion = eu-north-1\n[profile ci]\nregion = ap-south-1\n".write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: config) }
        XCTAssertEqual(try AWSEnvironment.current(["AWS_CONFIG_FILE": config.path]).region(for: key), "eu-north-1")
        XCTAssertEqual(try AWSEnvironment.current(["AWS_CONFIG_FILE": config.path, "AWS_PROFILE": "ci"]).region(for: key), "ap-south-1")
        XCTAssertThrowsError(try AWSEnvironment.current(["AWS_CONFIG_FILE": "/nonexistent", "HOME": "/nonexistent"]).region(for: key))
    }

    func testCredentialsFileProfilesAndNoEnvironmentCredentials() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("aws-credentials-\(UUID().uuidString)")
        try
            "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[ci]\nAWS_ACCESS_KEY_ID=AKIDCI\naws_secret_access_key=s2\naws_session_token = t\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(
            try AWSEnvironment.current(["AWS_SHARED_CREDENTIALS_FILE": file.path]).sharedCredentials().accessKeyID, "AKIDDEFAULT")
        let ci = try AWSEnvironment.current(["AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "ci"]).sharedCredentials()
        XCTAssertEqual(ci.accessKeyID, "AKIDCI")
        XCTAssertEqual(ci.sessionToken, "t")
        let fromEnvironment = AWSEnvironment.current([
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret",
        ])
        XCTAssertThrowsError(try fromEnvironment.sharedCredentials())
    }
}
