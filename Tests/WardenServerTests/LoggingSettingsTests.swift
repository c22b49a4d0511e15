import Logging
import NIOCore
import Testing

@testable import WardenServer
@testable import WardenServing

/// Triton's logging settings mapped onto swift-log levels, and the refusals.
@Suite struct LoggingSettingsTests {
    static func level(_ json: String, current: Logger.Level = .info) throws -> Logger.Level {
        try LoggingRoutes.level(from: ByteBuffer(string: json), current: current)
    }

    @Test func tritonsKeysAndWardensLevel() throws {
        #expect(try Self.level(#"{"log_verbose_level": 1}"#) == .debug)
        #expect(try Self.level(#"{"log_verbose_level": 2}"#) == .trace)
        #expect(try Self.level(#"{"log_info": false, "log_warning": true}"#) == .warning)
        #expect(try Self.level(#"{"log_info": false, "log_warning": false, "log_error": true}"#) == .error)
        #expect(try Self.level(#"{"log_info": false, "log_warning": false, "log_error": false}"#) == .critical)
        #expect(try Self.level(#"{"log_info": true}"#, current: .error) == .info)
        #expect(try Self.level(#"{"level": "notice"}"#) == .notice)
        #expect(try Self.level(#"{"log_format": "default", "log_file": ""}"#, current: .warning) == .warning)
    }

    @Test(arguments: [
        #"{"log_file": "/tmp/x"}"#, #"{"log_format": "ISO8601"}"#, #"{"level": "loud"}"#, #"{"log_info": "yes"}"#,
        #"{"log_verbose_level": -1}"#, #"{"verbosity": 1}"#, "[]", "not json",
        // Found by schemathesis: a bad value beside a good level was let through.
        #"{"level": "info", "log_verbose_level": -1}"#, #"{"level": "info", "log_error": 0}"#,
    ])
    func refusals(_ json: String) {
        #expect(throws: ServingFailure.self) { try Self.level(json) }
    }
}
