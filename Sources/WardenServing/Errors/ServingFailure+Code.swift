/// Every code a refusal can carry, with its HTTP status, its gRPC status and its title: the
/// one catalogue the OIP error body, the RFC 9457 problem body, the `Warden-Error-Code`
/// header, the log line and the metric label all take their code from. docs/serving.md's
/// error table and the OpenAPI document's code enum are checked against `allCases`.
extension ServingFailure {
    public enum Code: String, CaseIterable, Sendable {
        case incompleteBody = "incomplete_body"
        case invalidHost = "invalid_host"
        case invalidJSON = "invalid_json"
        case invalidRequest = "invalid_request"
        case invalidDatatype = "invalid_datatype"
        case datatypeMismatch = "datatype_mismatch"
        case invalidShape = "invalid_shape"
        case shapeMismatch = "shape_mismatch"
        case batchMismatch = "batch_mismatch"
        case elementCountMismatch = "element_count_mismatch"
        case tooManyElements = "too_many_elements"
        case missingInput = "missing_input"
        case unknownInput = "unknown_input"
        case duplicateInput = "duplicate_input"
        case unknownOutput = "unknown_output"
        case duplicateOutput = "duplicate_output"
        case missingData = "missing_data"
        case invalidData = "invalid_data"
        case binarySizeMismatch = "binary_size_mismatch"
        case invalidHeaderLength = "invalid_header_length"
        case invalidEntityKeys = "invalid_entity_keys"
        case invalidInput = "invalid_input"
        case invalidValue = "invalid_value"
        case invalidTimeout = "invalid_timeout"
        case unsupportedProtocol = "unsupported_protocol"
        case httpError = "http_error"
        case identityNotAllowed = "identity_not_allowed"
        case policyDenied = "policy_denied"
        case notFound = "not_found"
        case releasePlanNotFound = "release_plan_not_found"
        case methodNotAllowed = "method_not_allowed"
        case noCanaryInProgress = "no_canary_in_progress"
        /// An explanation asked of a model that has none (no covers, an operator in the way, a redacted output).
        case notExplainable = "not_explainable"
        case payloadTooLarge = "payload_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case unsupportedContentEncoding = "unsupported_content_encoding"
        case contractViolation = "contract_violation"
        case inputTooComplex = "input_too_complex"
        case invalidReleasePlan = "invalid_release_plan"
        case clientQuotaExceeded = "client_quota_exceeded"
        case clientClosedRequest = "client_closed_request"
        case outputContractViolation = "output_contract_violation"
        case internalError = "internal_error"
        case featureProxyBadResponse = "feature_proxy_bad_response"
        case modelNotReady = "model_not_ready"
        case modelRevoked = "model_revoked"
        case versionDisabled = "version_disabled"
        case overloaded = "overloaded"
        case shuttingDown = "shutting_down"
        case featureProxyUnavailable = "feature_proxy_unavailable"
        case deadlineExceeded = "deadline_exceeded"
        case featureProxyTimeout = "feature_proxy_timeout"

        /// The HTTP status (an `http_error` carries the HTTP error's own).
        public var httpStatus: Int {
            switch self {
            case .incompleteBody, .invalidHost, .invalidJSON, .invalidRequest, .invalidDatatype, .datatypeMismatch, .invalidShape,
                .shapeMismatch, .batchMismatch, .elementCountMismatch, .tooManyElements, .missingInput, .unknownInput, .duplicateInput,
                .unknownOutput, .duplicateOutput, .missingData, .invalidData, .binarySizeMismatch, .invalidHeaderLength, .invalidEntityKeys,
                .invalidInput, .invalidValue, .invalidTimeout, .unsupportedProtocol, .httpError:
                400
            case .identityNotAllowed, .policyDenied: 403
            case .notFound, .releasePlanNotFound: 404
            case .methodNotAllowed: 405
            case .noCanaryInProgress, .notExplainable: 409
            case .payloadTooLarge: 413
            case .unsupportedMediaType, .unsupportedContentEncoding: 415
            case .contractViolation, .inputTooComplex, .invalidReleasePlan: 422
            case .clientQuotaExceeded: 429
            // nginx's status for a client that closed its connection before the answer.
            case .clientClosedRequest: 499
            case .outputContractViolation, .internalError: 500
            case .featureProxyBadResponse: 502
            case .modelNotReady, .modelRevoked, .versionDisabled, .overloaded, .shuttingDown, .featureProxyUnavailable: 503
            case .deadlineExceeded, .featureProxyTimeout: 504
            }
        }

        /// The gRPC status code (google.rpc.Code), for the gRPC protocol's answers.
        public var grpcStatus: GRPCStatusCode {
            switch self {
            case .incompleteBody, .invalidHost, .invalidJSON, .invalidRequest, .invalidDatatype, .datatypeMismatch, .invalidShape,
                .shapeMismatch, .batchMismatch, .elementCountMismatch, .tooManyElements, .missingInput, .unknownInput, .duplicateInput,
                .unknownOutput, .duplicateOutput, .missingData, .invalidData, .binarySizeMismatch, .invalidHeaderLength, .invalidEntityKeys,
                .invalidInput, .invalidValue, .invalidTimeout, .unsupportedProtocol, .httpError, .unsupportedMediaType,
                .unsupportedContentEncoding, .contractViolation, .invalidReleasePlan:
                .invalidArgument
            case .deadlineExceeded, .featureProxyTimeout: .deadlineExceeded
            case .notFound, .releasePlanNotFound: .notFound
            case .identityNotAllowed, .policyDenied: .permissionDenied
            case .payloadTooLarge, .inputTooComplex, .clientQuotaExceeded: .resourceExhausted
            case .noCanaryInProgress, .notExplainable, .modelRevoked: .failedPrecondition
            case .methodNotAllowed: .unimplemented
            case .clientClosedRequest: .cancelled
            case .outputContractViolation, .internalError: .internalError
            case .featureProxyBadResponse, .modelNotReady, .versionDisabled, .overloaded, .shuttingDown, .featureProxyUnavailable:
                .unavailable
            }
        }

        /// The RFC 9457 title: a short summary of the problem type.
        public var title: String {
            switch self {
            case .incompleteBody: "Incomplete body"
            case .invalidHost: "Invalid Host"
            case .invalidJSON: "Invalid JSON"
            case .invalidRequest: "Invalid request"
            case .invalidDatatype: "Invalid datatype"
            case .datatypeMismatch: "Datatype mismatch"
            case .invalidShape: "Invalid shape"
            case .shapeMismatch: "Shape mismatch"
            case .batchMismatch: "Batch mismatch"
            case .elementCountMismatch: "Element count mismatch"
            case .tooManyElements: "Too many elements"
            case .missingInput: "Missing input"
            case .unknownInput: "Unknown input"
            case .duplicateInput: "Duplicate input"
            case .unknownOutput: "Unknown output"
            case .duplicateOutput: "Duplicate output"
            case .missingData: "Missing data"
            case .invalidData: "Invalid data"
            case .binarySizeMismatch: "Binary size mismatch"
            case .invalidHeaderLength: "Invalid header length"
            case .invalidEntityKeys: "Invalid entity keys"
            case .invalidInput: "Invalid input"
            case .invalidValue: "Invalid value"
            case .invalidTimeout: "Invalid timeout"
            case .unsupportedProtocol: "Unsupported protocol"
            case .httpError: "HTTP error"
            case .identityNotAllowed: "Identity not allowed"
            case .policyDenied: "Policy denied"
            case .notFound: "Not found"
            case .releasePlanNotFound: "Release plan not found"
            case .methodNotAllowed: "Method not allowed"
            case .noCanaryInProgress: "No canary in progress"
            case .notExplainable: "Not explainable"
            case .payloadTooLarge: "Payload too large"
            case .unsupportedMediaType: "Unsupported media type"
            case .unsupportedContentEncoding: "Unsupported content encoding"
            case .contractViolation: "Contract violation"
            case .inputTooComplex: "Input too complex"
            case .invalidReleasePlan: "Invalid release plan"
            case .clientQuotaExceeded: "Client quota exceeded"
            case .clientClosedRequest: "Client closed request"
            case .outputContractViolation: "Output contract violation"
            case .internalError: "Internal error"
            case .featureProxyBadResponse: "Feature proxy bad response"
            case .modelNotReady: "Model not ready"
            case .modelRevoked: "Model revoked"
            case .versionDisabled: "Version disabled"
            case .overloaded: "Overloaded"
            case .shuttingDown: "Shutting down"
            case .featureProxyUnavailable: "Feature proxy unavailable"
            case .deadlineExceeded: "Deadline exceeded"
            case .featureProxyTimeout: "Feature proxy timeout"
            }
        }
    }

    /// google.rpc.Code's values that Warden answers with.
    public enum GRPCStatusCode: Int, Sendable {
        case cancelled = 1, invalidArgument = 3, deadlineExceeded = 4, notFound = 5, permissionDenied = 7, resourceExhausted = 8
        case failedPrecondition = 9, unimplemented = 12, internalError = 13, unavailable = 14
    }
}
