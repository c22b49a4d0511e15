import Tracing

/// A child span for one phase of a request (decode, contract checks, inference, encode). Its
/// status says whether the phase failed and with which stable code; the error itself is not
/// recorded, since an engine's message may quote the values it was given.
package enum RequestPhase {
    /// Whether the request's span is recorded: phases of an unsampled request make no spans.
    @TaskLocal package static var isTraced = false

    package static func run<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
        guard isTraced else { return try body() }
        let span = startSpan(name, ofKind: .internal)
        defer { span.end() }
        do {
            return try body()
        } catch {
            markFailed(span, error)
            throw error
        }
    }

    package static func run<T, E: Error>(_ name: String, _ body: () async throws(E) -> T) async throws(E) -> T {
        guard isTraced else { return try await body() }
        let span = startSpan(name, ofKind: .internal)
        defer { span.end() }
        do {
            return try await body()
        } catch {
            markFailed(span, error)
            throw error
        }
    }

    /// A phase whose result adds attributes to its span (the policy bundle that decided).
    package static func run<T>(_ name: String, annotating attributes: (T) -> [(String, String)], _ body: () -> T) -> T {
        guard isTraced else { return body() }
        let span = startSpan(name, ofKind: .internal)
        defer { span.end() }
        let result = body()
        for (key, value) in attributes(result) { span.attributes[key] = value }
        return result
    }

    /// A failed phase carries its stable code, never the error's text.
    private static func markFailed(_ span: any Span, _ error: any Error) {
        span.setStatus(SpanStatus(code: .error))
        span.attributes["error.type"] = ((error as? ServingFailure)?.code ?? .internalError).rawValue
    }
}
