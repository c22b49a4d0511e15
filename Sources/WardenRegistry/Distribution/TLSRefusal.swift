import NIOSSL

/// Why a TLS handshake failed, in words an operator acts on: which side refused and what it
/// refused. nil for errors that are not about TLS.
enum TLSRefusal {
    static func describe(_ error: any Error) -> String? {
        let text = String(describing: error)
        switch error {
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "the server's certificate is not for this name (\(text))"
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError: break
        default:
            guard text.contains("SSL") || text.contains("handshake") else { return nil }
        }
        let lowered = text.lowercased()
        if lowered.contains("certificate has expired") || lowered.contains("certificate_expired") {
            return "a certificate has expired (\(text))"
        }
        if lowered.contains("certificate required") || lowered.contains("certificate_required")
            || lowered.contains("handshake failure") || lowered.contains("sslv3_alert_handshake_failure")
        {
            return "the server refused the handshake; it may require a client certificate (\(text))"
        }
        if lowered.contains("unknown ca") || lowered.contains("unable to get local issuer") || lowered.contains("certificate_verify_failed")
            || lowered.contains("self signed") || lowered.contains("self-signed")
        {
            return "the server's certificate is not signed by a trusted CA (\(text))"
        }
        if lowered.contains("hostname") || lowered.contains("name mismatch") {
            return "the server's certificate is not for this name (\(text))"
        }
        return text
    }
}
