import CPKCS11
import WardenTrust

/// The signing mechanisms Warden asks a token for, with their parameters.
enum PKCS11Mechanism {
    /// CKM_ECDSA over a digest Warden computed: every token has it, and the hash then matches
    /// the curve whatever the token supports.
    case ecdsa
    /// CKM_SHA256_RSA_PKCS_PSS with MGF1-SHA-256 and a 32-byte salt, what swift-crypto verifies.
    case rsaPSSSHA256
    /// CKM_SHA256_RSA_PKCS: PKCS#1 v1.5, what cosign's RSA keys produce.
    case rsaPKCS1SHA256

    func withUnsafeMechanism<R>(_ body: (UnsafeMutablePointer<warden_ck_mechanism>) throws(TrustFailure) -> R) throws(TrustFailure) -> R {
        switch self {
        case .ecdsa:
            var mechanism = warden_ck_mechanism(mechanism: 0x1041, parameter: nil, parameter_length: 0)
            return try body(&mechanism)
        case .rsaPKCS1SHA256:
            var mechanism = warden_ck_mechanism(mechanism: 0x40, parameter: nil, parameter_length: 0)
            return try body(&mechanism)
        case .rsaPSSSHA256:
            // CKM_SHA256, CKG_MGF1_SHA256, salt as long as the hash.
            var parameters = warden_ck_rsa_pss_params(hash: 0x250, mgf: 0x2, salt_length: 32)
            return try withUnsafeMutablePointer(to: &parameters) { pointer throws(TrustFailure) in
                var mechanism = warden_ck_mechanism(
                    mechanism: 0x43, parameter: UnsafeMutableRawPointer(pointer),
                    parameter_length: warden_ck_ulong(MemoryLayout<warden_ck_rsa_pss_params>.size))
                return try body(&mechanism)
            }
        }
    }
}
