import Foundation
import Hummingbird
import Logging
import WardenJSON
import WardenServing

/// Triton's logging extension, `GET` and `POST` (or `PUT`) `/v2/logging`: the log level at run
/// time, in Triton's keys (`log_info`, `log_warning`, `log_error`, `log_verbose_level`) or
/// Warden's (`level`: trace … critical). Admin route class only; each change is logged.
struct LoggingRoutes {
    let logger: Logger

    func register(on router: Router<WardenRequestContext>) {
        router.get("/v2/logging") { _, context in JSONResponse.make(Self.settings(), context) }
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/v2/logging", method: method) { request, context in
                let body = try await request.collectBody(limit: 16 << 10)
                let level = try Self.level(from: body, current: LogLevelControl.shared.current)
                let before = LogLevelControl.shared.current
                LogLevelControl.shared.current = level
                AuditEvent.logLevelChanged(from: before.rawValue, to: level.rawValue, actor: context.clientIdentity ?? "anonymous")
                    .log(to: logger)
                return JSONResponse.make(Self.settings(), context)
            }
        }
        MethodNotAllowed.register("/v2/logging", allowing: [.get, .post, .put], on: router)
    }

    /// The settings in Triton's shape, with Warden's level beside them.
    static func settings() -> JSONValue {
        let level = LogLevelControl.shared.current
        return .object([
            ("log_file", .string("")), ("log_info", .bool(level <= .info)), ("log_warning", .bool(level <= .warning)),
            ("log_error", .bool(level <= .error)), ("log_verbose_level", .integer(level <= .debug ? (level == .trace ? 2 : 1) : 0)),
            ("log_format", .string("default")), ("level", .string(level.rawValue)),
        ])
    }

    /// The level a body asks for; unknown keys, a log file or another format are refused.
    static func level(from body: ByteBuffer, current: Logger.Level) throws -> Logger.Level {
        guard let document = try? JSONParser.parse(Array(body.readableBytesView)), case let .object(members) = document else {
            throw ServingFailure.badRequest(.invalidJSON, "the body must be a JSON object")
        }
        var fields: [String: JSONValue] = [:]
        for (key, value) in members { fields[key] = value }
        let known: Set<String> = ["level", "log_info", "log_warning", "log_error", "log_verbose_level", "log_file", "log_format"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServingFailure.badRequest(.invalidRequest, "unknown logging setting '\(unknown)'")
        }
        if let file = fields["log_file"], file != .string("") {
            throw ServingFailure.badRequest(.invalidRequest, "Warden logs to standard output only; log_file must be empty")
        }
        if let format = fields["log_format"], format != .string("default") {
            throw ServingFailure.badRequest(.invalidRequest, "log_format must be default (Warden writes JSON lines)")
        }
        // Every key is checked before any is used: a bad value is refused even beside a good level.
        func flag(_ key: String) throws -> Bool? {
            guard let value = fields[key] else { return nil }
            guard case let .bool(flag) = value else { throw ServingFailure.badRequest(.invalidRequest, "\(key) must be a boolean") }
            return flag
        }
        let (info, warning, error) = (try flag("log_info"), try flag("log_warning"), try flag("log_error"))
        var verbose: Int64?
        if let value = fields["log_verbose_level"] {
            guard case let .integer(number) = value, number >= 0 else {
                throw ServingFailure.badRequest(.invalidRequest, "log_verbose_level must be a non-negative integer")
            }
            verbose = number
        }
        if let named = fields["level"] {
            guard case let .string(text) = named, let level = Logger.Level(rawValue: text) else {
                throw ServingFailure.badRequest(
                    .invalidRequest, "level must be one of trace, debug, info, notice, warning, error, critical")
            }
            return level
        }
        if let verbose, verbose > 0 { return verbose > 1 ? .trace : .debug }
        if info == true { return .info }
        if warning == true { return .warning }
        if error == true { return .error }
        // Everything switched off, or nothing asked: keep errors at least, else what was set.
        let asked = [info, warning, error].contains { $0 == false }
        return asked ? .critical : (verbose == 0 && current < .info ? .info : current)
    }
}
