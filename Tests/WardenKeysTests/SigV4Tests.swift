import Foundation
import XCTest

@testable import WardenKeys

/// SigV4 against vectors: AWS's own `get-vanilla` example, and a KMS request with a session
/// token whose signature botocore's SigV4Auth computed (the signer moto checks requests with).
final class SigV4Tests: XCTestCase {
    let exampleSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    /// 2015-08-30T12:36:00Z and 2026-12-06T10:15:00Z.
    let exampleTime = Date(timeIntervalSince1970: 1_440_938_160)
    let kmsTime = Date(timeIntervalSince1970: 1_796_552_100)

    func testAWSGetVanillaExample() {
        let signer = SigV4(
            credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: exampleSecret, sessionToken: nil, expiration: nil),
            region: "us-east-1", service: "service")
        let headers = signer.sign(method: "GET", path: "/", headers: ["Host": "example.amazonaws.com"], body: [], at: exampleTime)
        XCTAssertEqual(headers["x-amz-date"], "20150830T123600Z")
        XCTAssertEqual(
            headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    func testKMSRequestWithSessionTokenMatchesBotocore() {
        let token = "FwoGZXIvYXdzEXAMPLETOKEN"
        let signer = SigV4(
            credentials: AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: exampleSecret, sessionToken: token, expiration: nil),
            region: "eu-west-1", service: "kms")
        let headers = signer.sign(
            method: "POST", path: "/",
            headers: ["host": "localhost:4566", "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.GetPublicKey"],
            body: Array(#"{"KeyId":"alias/release"}"#.utf8), at: kmsTime)
        XCTAssertEqual(headers["x-amz-security-token"], token)
        XCTAssertEqual(
            headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261206/eu-west-1/kms/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                + "Signature=6f95528a5b383925a9fed3122b0ef2d9ba603f78367714c89a294db72c10b977")
    }

    func testCredentialsNeverPrintTheSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: exampleSecret, sessionToken: "t", expiration: nil)
        XCTAssertFalse("\(credentials)".contains(exampleSecret))
    }
}
