import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `warden health`: asks a running server's probe port whether it is ready, for container
/// health checks in images that have no shell and no curl (distroless). Exit 0 when the
/// answer is 200, 1 otherwise.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Exit 0 when the local probe port answers 200 (for Docker HEALTHCHECK).")

    @Option(help: "Probe port of the running server.")
    var port: Int = 8081

    @Option(help: "Probe path: /readyz or /livez.")
    var path: String = "/readyz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 2

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard ["/readyz", "/livez", "/healthz"].contains(path) else { throw ValidationError("--path is /readyz, /livez or /healthz") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        guard let status = Self.statusCode(port: UInt16(port), path: path, timeoutSeconds: timeout), status == 200 else {
            throw ExitCode(1)
        }
    }

    /// One HTTP/1.0 GET to 127.0.0.1 over a plain socket: the probe port is loopback-reachable
    /// plain HTTP by design, and Foundation's URLSession would pull libcurl into the image.
    static func statusCode(port: UInt16, path: String, timeoutSeconds: Int) -> Int? {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { return nil }
        defer { close(socketDescriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(socketDescriptor, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(socketDescriptor, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { return nil }
        // "HTTP/1.1 200 OK": the status is the second token of the status line.
        let line = String(decoding: buffer[..<received], as: UTF8.self)
        let tokens = line.split(separator: " ", maxSplits: 2)
        guard tokens.count >= 2, tokens[0].hasPrefix("HTTP/") else { return nil }
        return Int(tokens[1])
    }
}
