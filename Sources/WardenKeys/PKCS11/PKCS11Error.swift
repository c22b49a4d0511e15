import WardenTrust

/// A PKCS#11 return value (CK_RV) turned into a TrustFailure whose code says whose fault it is
/// (the token is not there, it refused, the key is wrong) and whose message names the call.
enum PKCS11Error {
    static func failure(_ value: UInt, in call: String, at location: String) -> TrustFailure {
        let (code, meaning) = describe(value)
        return TrustFailure(code, "\(location): \(call) failed with \(name(value)): \(meaning)")
    }

    static func name(_ value: UInt) -> String {
        names[value] ?? "CKR_0x" + String(value, radix: 16)
    }

    private static let names: [UInt: String] = [
        0x0: "CKR_OK", 0x3: "CKR_SLOT_ID_INVALID", 0x5: "CKR_GENERAL_ERROR", 0x6: "CKR_FUNCTION_FAILED",
        0x7: "CKR_ARGUMENTS_BAD", 0x12: "CKR_ATTRIBUTE_TYPE_INVALID", 0x11: "CKR_ATTRIBUTE_SENSITIVE",
        0x21: "CKR_DATA_LEN_RANGE", 0x30: "CKR_DEVICE_ERROR", 0x31: "CKR_DEVICE_MEMORY", 0x32: "CKR_DEVICE_REMOVED",
        0x60: "CKR_KEY_HANDLE_INVALID", 0x63: "CKR_KEY_TYPE_INCONSISTENT", 0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED",
        0x70: "CKR_MECHANISM_INVALID", 0x71: "CKR_MECHANISM_PARAM_INVALID", 0x82: "CKR_OBJECT_HANDLE_INVALID",
        0x90: "CKR_OPERATION_ACTIVE", 0xA0: "CKR_PIN_INCORRECT", 0xA1: "CKR_PIN_INVALID", 0xA2: "CKR_PIN_LEN_RANGE",
        0xA3: "CKR_PIN_EXPIRED", 0xA4: "CKR_PIN_LOCKED", 0xB0: "CKR_SESSION_CLOSED", 0xB1: "CKR_SESSION_COUNT",
        0xB3: "CKR_SESSION_HANDLE_INVALID", 0xE0: "CKR_TOKEN_NOT_PRESENT", 0xE1: "CKR_TOKEN_NOT_RECOGNIZED",
        0x100: "CKR_USER_ALREADY_LOGGED_IN", 0x101: "CKR_USER_NOT_LOGGED_IN", 0x102: "CKR_USER_PIN_NOT_INITIALIZED",
        0x150: "CKR_BUFFER_TOO_SMALL", 0x190: "CKR_CRYPTOKI_NOT_INITIALIZED", 0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
    ]

    private static func describe(_ value: UInt) -> (TrustFailure.Code, String) {
        switch value {
        case 0xA0: (.keyStoreRefused, "the PIN is wrong")
        case 0xA1, 0xA2: (.keyStoreRefused, "the PIN is not a valid PIN for this token")
        case 0xA3: (.keyStoreRefused, "the PIN has expired")
        case 0xA4: (.keyStoreRefused, "the PIN is locked after too many wrong tries")
        case 0x102: (.keyStoreRefused, "the token's user PIN was never set")
        case 0x101: (.keyStoreRefused, "the key needs a login: add pin-source=file:/path to the URI")
        case 0x68: (.unsupportedKey, "the key may not be used to sign (CKA_SIGN is false)")
        case 0x63, 0x70, 0x71: (.unsupportedKey, "the token cannot sign with this key and mechanism")
        case 0x3, 0xE0, 0xE1, 0x30, 0x32: (.keyStoreUnavailable, "the token is absent or not answering")
        case 0xB0, 0xB1, 0xB3: (.keyStoreUnavailable, "the token's session was lost or none is free")
        default: (.keyStoreUnavailable, "the PKCS#11 module reported an error")
        }
    }
}
