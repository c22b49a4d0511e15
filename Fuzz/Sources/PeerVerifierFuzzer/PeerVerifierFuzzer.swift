import Foundation
import WardenServer

/// libFuzzer entry point: the certificate chain a client sends before it is authenticated.
/// The input is a sequence of 2-byte big-endian lengths each followed by that many bytes of
/// DER; verification against a dev CA must end in an identity or a refusal, within the
/// handshake's budget, for any chain (the ring of same-named CAs once cost seconds).
let verifier: PeerVerifier = {
    let path = ProcessInfo.processInfo.environment["WARDEN_FUZZ_CA"] ?? "fuzz-corpus/pki/ca.pem"
    do {
        return PeerVerifier(bundle: try PeerVerifier.readBundle(path))
    } catch {
        fatalError("cannot read the fuzzing CA \(path) (see docs/fuzzing.md): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeerVerifier(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))[...]
    var chain: [[UInt8]] = []
    while bytes.count >= 2, chain.count < 16 {
        let length = Int(bytes[bytes.startIndex]) << 8 | Int(bytes[bytes.startIndex + 1])
        bytes = bytes.dropFirst(2)
        chain.append(Array(bytes.prefix(length)))
        bytes = bytes.dropFirst(length)
    }
    let certificates = chain
    let start = ContinuousClock.now
    let done = DispatchSemaphore(value: 0)
    Task {
        await FuzzEntryPoints.verifyPeer(certificates, roots: verifier)
        done.signal()
    }
    done.wait()
    precondition(ContinuousClock.now - start < .seconds(2), "verifying a \(certificates.count)-certificate chain took past its budget")
    return 0
}
