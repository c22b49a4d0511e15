import Foundation
import Hummingbird
import HummingbirdTLS
import NIOCore
import NIOSSL

// The ceiling for benchmarks/ceiling.py: a bare Hummingbird POST handler of the same shape as
// Warden's infer route — read the whole body, answer a fixed OIP v2 response — on the same
// framework version, optionally behind mutual TLS (TLS 1.3, a client certificate required and
// chained to the CA; no SPIFFE parsing). Whatever Warden serves beyond this is its own work.
//
//     warden-http-bench PORT [CERT KEY CLIENT_CA]

let answer = ByteBuffer(
    string: #"{"model_name":"churn","model_version":"1","outputs":[{"name":"label","datatype":"INT64","shape":[1],"data":[0]},"#
        + #"{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.8,0.2]}]}"#)

let router = Router()
router.post("/v2/models/:model/infer") { request, _ -> Response in
    _ = try await request.body.collect(upTo: 4 << 20)
    return Response(
        status: .ok, headers: [.contentType: "application/json", .contentLength: String(answer.readableBytes)],
        body: .init(byteBuffer: answer))
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 5, let port = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: warden-http-bench PORT [CERT KEY CLIENT_CA]\n".utf8))
    exit(2)
}
let address = BindAddress.hostname("127.0.0.1", port: port)
if arguments.count == 5 {
    var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[2]).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[3], format: .pem)))
    tls.minimumTLSVersion = .tlsv13
    tls.certificateVerification = .noHostnameVerification
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(arguments[4]))
    let app = Application(
        router: router, server: try .tls(.http1(), tlsConfiguration: tls), configuration: .init(address: address))
    try await app.runService()
} else {
    try await Application(router: router, configuration: .init(address: address)).runService()
}
