import Foundation
import WardenJSON
import WardenONNX

/// Reads the committed fixtures made by scripts/fixtures/make_onnx_fixtures.py.
enum Fixtures {
    static let directory: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    /// Converter-made models at the top level; single-operator models under `ops/`.
    static var modelNames: [String] { names(in: "") + names(in: "ops/") }

    private static func names(in folder: String) -> [String] {
        let path = directory.appendingPathComponent(folder).path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return files.filter { $0.hasSuffix(".cases.json") }.map { folder + String($0.dropLast(".cases.json".count)) }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(name).onnx")))
    }

    static func session(_ name: String) throws -> InferenceSession {
        try InferenceSession(modelBytes: try bytes(name))
    }

    static func cases(_ name: String) throws -> JSONValue {
        try JSONParser.parse(Data(contentsOf: directory.appendingPathComponent("\(name).cases.json")))
    }
}

/// Compares an engine output with ONNX Runtime's: labels and integers exactly, floats within
/// 1e-5 (relative above 1), NaN equal to NaN. Returns a description of the first difference.
enum OutputComparison {
    static let tolerance = 1e-5

    static func difference(_ actual: JSONValue, _ expected: JSONValue, path: String = "") -> String? {
        switch (actual, expected) {
        case let (.array(a), .array(e)):
            guard a.count == e.count else { return "\(path): \(a.count) items, expected \(e.count)" }
            for (i, (x, y)) in zip(a, e).enumerated() {
                if let d = difference(x, y, path: "\(path)[\(i)]") { return d }
            }
            return nil
        case let (.object(a), .object(e)):
            // Maps are unordered: ONNX Runtime's Python binding returns them in hash order.
            guard a.map(\.key).sorted() == e.map(\.key).sorted() else { return "\(path): keys \(a.map(\.key)), expected \(e.map(\.key))" }
            for x in a {
                let y = e.first { $0.key == x.key }!.value
                if let d = difference(x.value, y, path: "\(path).\(x.key)") { return d }
            }
            return nil
        case let (.string(a), .string(e)):
            return a == e ? nil : "\(path): \"\(a)\", expected \"\(e)\""
        case let (.integer(a), .integer(e)):
            return a == e ? nil : "\(path): \(a), expected \(e)"
        case let (.bool(a), .bool(e)):
            return a == e ? nil : "\(path): \(a), expected \(e)"
        default:
            guard let a = number(actual), let e = number(expected) else { return "\(path): \(actual), expected \(expected)" }
            if a.isNaN || e.isNaN { return a.isNaN && e.isNaN ? nil : "\(path): \(a), expected \(e)" }
            if a.isInfinite || e.isInfinite { return a == e ? nil : "\(path): \(a), expected \(e)" }
            return abs(a - e) <= tolerance * max(1, abs(e)) ? nil : "\(path): \(a), expected \(e)"
        }
    }

    private static func number(_ json: JSONValue) -> Double? {
        switch json {
        case .null: .nan
        case let .integer(i): Double(i)
        case let .number(d): d
        case .string("inf"): .infinity
        case .string("-inf"): -.infinity
        default: nil
        }
    }
}

/// Outputs where Warden deliberately differs from ONNX Runtime, each with its reason
/// (Fixtures/known-differences.json).
enum KnownDifferences {
    static let entries: Set<String> = {
        guard let data = try? Data(contentsOf: Fixtures.directory.appendingPathComponent("known-differences.json")),
            let document = try? JSONParser.parse(data), case let .array(items)? = document["differences"]
        else { return [] }
        var keys = Set<String>()
        for item in items {
            guard case let .array(fixtures)? = item["fixtures"], case let .string(caseName)? = item["case"],
                case let .array(outputs)? = item["outputs"]
            else { continue }
            for case let .string(fixture) in fixtures {
                for case let .string(output) in outputs { keys.insert("\(fixture)|\(caseName)|\(output)") }
            }
        }
        return keys
    }()

    static func isListed(fixture: String, case caseName: String, output: String) -> Bool {
        entries.contains("\(fixture)|\(caseName)|\(output)")
    }
}
