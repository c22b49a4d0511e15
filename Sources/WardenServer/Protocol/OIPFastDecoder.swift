import Foundation
import WardenJSON
import WardenONNX
import WardenServing

/// The common OIP v2 JSON request — `{"id": …, "inputs": [{"name", "datatype", "shape",
/// "data"}…]}`, flat `data` after the header fields, no parameters, no outputs named — decoded
/// in one pass straight into typed tensor storage: no JSON tree, no leaf values.
///
/// It never refuses a request. Whatever it does not read exactly as `InferenceRequest` would
/// (another member, an escape in a string, nested data, a number out of range, a missing or
/// repeated input…) makes it give up, and the general decoder reads the body from the start,
/// with its errors. So both paths accept the same requests with the same tensors; the fast one
/// only skips the tree.
struct OIPFastDecoder {
    private let bytes: [UInt8]
    private let limits: JSONParser.Limits
    private var position = 0
    private var members = 0

    /// The decoded request, or nil when the general decoder must read this body.
    static func decode(_ body: [UInt8], contract: ModelContract, limits: JSONParser.Limits) -> InferenceRequest? {
        guard body.count <= limits.maxBytes, !mayNameOutputsOrParameters(body) else { return nil }
        var decoder = OIPFastDecoder(bytes: body, limits: limits)
        return decoder.request(contract)
    }

    /// tritonclient sends its inputs first, then `outputs` or `parameters`, which this decoder
    /// leaves to the general one: found only at the end, they would make the body be decoded
    /// twice. A search for the two member names first (a string value that merely contains one
    /// also sends the body the general way, which is only slower).
    private static func mayNameOutputsOrParameters(_ body: [UInt8]) -> Bool {
        let names: [[UInt8]] = [Array("outputs\"".utf8), Array("parameters\"".utf8)]
        return body.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return false }
            var from = 0
            // From quote to quote with memchr, which scans a whole body at memory speed.
            while from < bytes.count, let found = memchr(base + from, Int32(UInt8(ascii: "\"")), bytes.count - from) {
                let after = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                if names.contains(where: { bytes[after...].starts(with: $0) }) { return true }
                from = after
            }
            return false
        }
    }

    private init(bytes: [UInt8], limits: JSONParser.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    private mutating func request(_ contract: ModelContract) -> InferenceRequest? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var id: String?
        var feeds: [String: Value]?
        repeat {
            switch key() {
            case "id"? where id == nil:
                guard let text = simpleString(), text.utf8.count <= 256 else { return nil }
                id = text
            case "inputs"? where feeds == nil:
                feeds = inputs(contract)
                guard feeds != nil else { return nil }
            default: return nil
            }
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")), atEnd(), let feeds else { return nil }
        guard contract.requestInputs.allSatisfy({ feeds[$0.name] != nil }) else { return nil }
        return InferenceRequest(
            id: id, feeds: feeds, outputs: contract.outputs.map { InferenceRequest.RequestedOutput(name: $0.name, binary: false) })
    }

    private mutating func inputs(_ contract: ModelContract) -> [String: Value]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var feeds: [String: Value] = [:]
        if consume(UInt8(ascii: "]")) { return feeds }
        repeat {
            skipWhitespace()
            guard countMember(), let (name, value) = tensor(contract), feeds.updateValue(value, forKey: name) == nil else { return nil }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? feeds : nil
    }

    /// One input tensor; its data must come after its name, datatype and shape.
    private mutating func tensor(_ contract: ModelContract) -> (String, Value)? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var name: String?, datatype: String?, shape: [Int64]?
        var storage: TensorStorage?
        var header: RequestTensorHeader?
        repeat {
            switch key() {
            case "name"? where name == nil:
                guard let text = simpleString() else { return nil }
                name = text
            case "datatype"? where datatype == nil:
                guard let text = simpleString() else { return nil }
                datatype = text
            case "shape"? where shape == nil:
                guard let dims = integers() else { return nil }
                shape = dims
            case "data"? where storage == nil:
                guard let name, let datatype, let shape,
                    let read = try? RequestTensorHeader(name: name, datatype: datatype, shape: { shape }, contract: contract),
                    let elements = data(read)
                else { return nil }
                header = read
                storage = elements
            default: return nil
            }
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")), let header, let storage else { return nil }
        return (header.name, .tensor(Tensor(shape: header.shape, storage: storage)))
    }

    /// Flat `data` of exactly the header's count, read as `TensorDecoding.fromJSON` reads it.
    private mutating func data(_ header: RequestTensorHeader) -> TensorStorage? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        let count = header.count
        switch header.target {
        case .float, .double, .float16:
            var values: [Double] = []
            values.reserveCapacity(count)
            let ok = elements(count) {
                if $0.word("null") { values.append(.nan); return true }
                let value: Double
                switch $0.number() {
                case let .integer(i)?: value = Double(i)
                case let .number(d)?: value = d
                default: return false
                }
                guard TensorDecoding.fits(value, header.datatype) else { return false }
                values.append(value)
                return true
            }
            return ok ? TensorDecoding.floats(values, as: header.target) : nil
        case .int32, .int64, .uint8, .int8:
            let range = TensorDecoding.integerRange(header.datatype)
            var values: [Int64] = []
            values.reserveCapacity(count)
            let ok = elements(count) {
                guard case let .integer(i)? = $0.number(), range.contains(i) else { return false }
                values.append(i)
                return true
            }
            return ok ? TensorDecoding.narrowed(values, to: header.target) : nil
        case .bool:
            var values: [Bool] = []
            values.reserveCapacity(count)
            let ok = elements(count) {
                if $0.word("true") { values.append(true) } else if $0.word("false") { values.append(false) } else { return false }
                return true
            }
            return ok ? .bool(values) : nil
        case .string:
            var values: [String] = []
            values.reserveCapacity(count)
            let ok = elements(count) {
                guard let text = $0.simpleString() else { return false }
                values.append(text)
                return true
            }
            return ok ? .string(values) : nil
        }
    }

    /// Reads `count` comma-separated elements with `element`, then the closing bracket.
    private mutating func elements(_ count: Int, _ element: (inout OIPFastDecoder) -> Bool) -> Bool {
        guard count > 0 else { return consume(UInt8(ascii: "]")) }
        for index in 0..<count {
            if index > 0, !consume(UInt8(ascii: ",")) { return false }
            skipWhitespace()
            guard countMember(), element(&self) else { return false }
        }
        return consume(UInt8(ascii: "]"))
    }

    /// A shape: integers only.
    private mutating func integers() -> [Int64]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var values: [Int64] = []
        if consume(UInt8(ascii: "]")) { return values }
        repeat {
            skipWhitespace()
            guard countMember(), case let .integer(i)? = number() else { return nil }
            values.append(i)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? values : nil
    }

    // MARK: Tokens

    /// A member name and its colon.
    private mutating func key() -> String? {
        skipWhitespace()
        guard countMember(), let text = simpleString(), consume(UInt8(ascii: ":")) else { return nil }
        skipWhitespace()
        return text
    }

    /// A string without escapes, valid UTF-8, within the string limit.
    private mutating func simpleString() -> String? {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
        let start = position + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { return nil }
            end += 1
        }
        guard end < bytes.count, end - start <= limits.maxStringBytes else { return nil }
        let text = bytes.withUnsafeBufferPointer { UTF8Text.string(UnsafeBufferPointer(rebasing: $0[start..<end])) }
        position = end + 1
        return text
    }

    private mutating func number() -> JSONValue? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "-") || (0x30...0x39).contains(bytes[position]) else { return nil }
        guard case let .number(value, end) = JSONParser.number(in: bytes, at: position) else { return nil }
        position = end
        return value
    }

    private mutating func word(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard position + length <= bytes.count else { return false }
        let matches = text.withUTF8Buffer { word in (0..<length).allSatisfy { bytes[position + $0] == word[$0] } }
        if matches { position += length }
        return matches
    }

    /// The general parser's bound on members and elements, counted the same way.
    private mutating func countMember() -> Bool {
        members += 1
        return members <= limits.maxMembers
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func atEnd() -> Bool {
        skipWhitespace()
        return position == bytes.count
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }
}

extension InferenceRequest {
    /// The same id, outputs and tensors, bit for bit (NaN included): how the tests and the
    /// fuzzer hold the one-pass decoder to the general one.
    func isSameRequest(as other: InferenceRequest) -> Bool {
        guard id == other.id, outputs.map(\.name) == other.outputs.map(\.name), outputs.map(\.binary) == other.outputs.map(\.binary),
            timeout == other.timeout, explain == other.explain, binaryByDefault == other.binaryByDefault,
            Set(feeds.keys) == Set(other.feeds.keys)
        else { return false }
        return feeds.allSatisfy { name, value in
            guard case let .tensor(x) = value, case let .tensor(y)? = other.feeds[name], x.shape == y.shape else { return false }
            switch (x.storage, y.storage) {
            case let (.float(a), .float(b)): return a.map(\.bitPattern) == b.map(\.bitPattern)
            case let (.double(a), .double(b)): return a.map(\.bitPattern) == b.map(\.bitPattern)
            case let (.float16(a), .float16(b)): return a.map(\.bitPattern) == b.map(\.bitPattern)
            default: return x.storage == y.storage
            }
        }
    }
}
