import WardenKeys
import WardenTrust
import XCTest

/// RFC 7512 parsing: what selects a key, what is refused.
final class PKCS11URITests: XCTestCase {
    func testReadsPathAndQueryAttributesWithPercentEncoding() throws {
        let uri = try PKCS11URI(
            parsing:
                "pkcs11:token=Warden%20CI;object=signer;id=%01%a2;slot-id=7?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin"
        )
        XCTAssertEqual(uri.token, "Warden CI")
        XCTAssertEqual(uri.object, "signer")
        XCTAssertEqual(uri.id, [0x01, 0xA2])
        XCTAssertEqual(uri.slotID, 7)
        XCTAssertEqual(uri.modulePath, "/usr/lib/softhsm/libsofthsm2.so")
        XCTAssertEqual(uri.pinSource, "/run/pin")
        XCTAssertEqual(uri.location, "PKCS#11 token \"Warden CI\", slot 7, object \"signer\", id 01a2")
    }

    func testRefusesAPINValue() {
        XCTAssertThrowsError(try PKCS11URI(parsing: "pkcs11:object=k?module-name=softhsm2&pin-value=1234")) { error in
            XCTAssertTrue("\(error)".contains("pin-value is refused"), "\(error)")
        }
    }

    func testRefusesTyposDuplicatesAndBadEncodings() {
        for text in [
            "pkcs11:objekt=k?module-name=softhsm2",  // unknown attribute
            "pkcs11:object=k;object=j?module-name=softhsm2",  // twice
            "pkcs11:object=k%G1?module-name=softhsm2",  // bad escape
            "pkcs11:object=k?module-path=relative.so",  // relative module
            "pkcs11:token=t?module-name=softhsm2",  // no object or id
            "pkcs11:object=k",  // no module
            "pkcs11:object=k?module-name=softhsm2&pin-source=relative",
            "pkcs11:object=k;slot-id=-1?module-name=softhsm2",
            "pkcs11:object=k;type=secret-key?module-name=softhsm2",
        ] {
            XCTAssertThrowsError(try PKCS11URI(parsing: text), text) { error in
                XCTAssertEqual((error as? TrustFailure)?.code, .malformedKey, text)
            }
        }
    }

    func testVendorAttributesAreAllowed() throws {
        XCTAssertEqual(try PKCS11URI(parsing: "pkcs11:object=k;x-vendor=1?module-name=softhsm2").object, "k")
    }

    func testKeyReferenceDescriptionDropsTheQuery() {
        XCTAssertEqual(KeyReference("pkcs11:object=k?module-name=softhsm2&pin-source=/run/pin").description, "pkcs11:object=k")
        XCTAssertEqual(KeyReference("keys/a.pem").relative(to: "/etc/warden"), .file("/etc/warden/keys/a.pem"))
        XCTAssertEqual(KeyReference("awskms:///alias/x").relative(to: "/etc"), .awsKMS("awskms:///alias/x"))
    }
}
