import Foundation
import Testing
import WardenJSON
import WardenONNX
import WardenServing

@testable import WardenServer

/// The one-pass decoder (issue 25, item 2) against the general one, on generated request bodies
/// nobody chose: well-formed ones in every member order and spacing, and ones that break a rule
/// (unknown or repeated members, escapes, nested or short data, numbers out of range, NaN
/// tokens, wrong types, missing inputs). Whenever the fast path answers, the general decoder
/// must accept the body and give the same id, outputs and tensors, bit for bit; and the fast
/// path must answer the common request.
@Suite struct OIPFastDecoderTests {
    static let contract: ModelContract = {
        let text = """
            {"name": "m", "version": "1",
             "inputs": [{"name": "i64", "datatype": "INT64", "shape": [-1, 1]}, {"name": "f32", "datatype": "FP32", "shape": [-1, 2]},
                        {"name": "s", "datatype": "BYTES", "shape": [-1]}, {"name": "b", "datatype": "BOOL", "shape": [-1]},
                        {"name": "d", "datatype": "FP64", "shape": [-1]}, {"name": "u8", "datatype": "UINT8", "shape": [-1]}],
             "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}, {"name": "z", "datatype": "INT64", "shape": [-1]}]}
            """
        return try! ModelContract(json: try! JSONParser.parse(text))
    }()

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        mutating func next(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { next(100) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
        mutating func space() -> String { chance(80) ? "" : pick([" ", "\n", "\t ", "  "]) }
    }

    /// One element of `kind`'s data, usually right, sometimes a value the general decoder refuses
    /// or the fast path leaves to it.
    static func element(_ kind: String, _ g: inout Generator) -> String {
        if g.chance(3) { return g.pick(["null", "NaN", "-Infinity", "true", "\"x\"", "[1]", "1e400", "01", "-", "1.", "{}"]) }
        switch kind {
        case "i64": return g.pick(["0", "-7", "42", "9223372036854775807", "-9223372036854775808", "1.0", "1e2", "9223372036854775808"])
        case "u8": return g.pick(["0", "255", "7", "256", "-1", "3"])
        case "f32", "d":
            return g.pick([
                "0", "-0", "1.5", "0.1", "-2e-3", "1E3", "3.4028235e38", "3.5e38", "12345678901234567890", "null", "7", "1e-46",
            ])
        case "b": return g.pick(["true", "false"])
        default: return g.pick(["\"a\"", "\"two-year\"", "\"\"", "\"é\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"x y\""])
        }
    }

    static func tensor(_ name: String, rows: Int, _ g: inout Generator) -> String {
        let width = name == "f32" ? 2 : 1
        let datatype = ["i64": "INT64", "f32": "FP32", "s": "BYTES", "b": "BOOL", "d": "FP64", "u8": "UINT8"][name]!
        var shape = name == "i64" || name == "f32" ? [rows, width] : [rows]
        if g.chance(3) { shape[0] += 1 }
        var count = shape.reduce(1, *)
        if g.chance(3) { count += g.pick([-1, 1]) }
        var data = (0..<max(count, 0)).map { _ in element(name, &g) }
        var dataText = "[" + data.joined(separator: "," + g.space()) + "]"
        if g.chance(3), !data.isEmpty {
            data = [data[0]]
            dataText = "[[" + data.joined() + "]]"
        }
        var members = [
            "\"name\":" + g.space() + "\"\(g.chance(2) ? "nope" : name)\"",
            "\"datatype\":" + g.space() + "\"\(g.chance(2) ? "FP16" : datatype)\"",
            "\"shape\":" + g.space() + "[" + shape.map(String.init).joined(separator: ",") + "]",
            "\"data\":" + g.space() + dataText,
        ]
        if g.chance(10) { members.shuffle(using: &g) }
        if g.chance(3) { members.append(g.pick(["\"parameters\": {}", "\"name\": \"s\"", "\"extra\": 1"])) }
        return "{" + g.space() + members.joined(separator: "," + g.space()) + g.space() + "}"
    }

    static func body(_ g: inout Generator) -> String {
        let rows = g.next(4)
        var names = ["i64", "f32", "s", "b", "d", "u8"]
        if g.chance(4) { names.removeLast() }
        if g.chance(3) { names.append("s") }
        var tensors = names.map { tensor($0, rows: rows, &g) }
        if g.chance(20) { tensors.shuffle(using: &g) }
        var members = ["\"inputs\":" + g.space() + "[" + tensors.joined(separator: "," + g.space()) + "]"]
        if g.chance(50) { members.insert("\"id\": " + g.pick(["\"r-1\"", "\"\"", "\"é\"", "7", "\"a\\nb\""]), at: 0) }
        if g.chance(5) {
            members.append(g.pick(["\"outputs\": [{\"name\": \"y\"}]", "\"parameters\": {\"timeout\": 5}", "\"id\": \"again\""]))
        }
        if g.chance(10) { members.shuffle(using: &g) }
        return g.space() + "{" + members.joined(separator: ",") + "}" + g.space() + (g.chance(2) ? "x" : "")
    }

    @Test(arguments: [false, true])
    func answersOnlyWhereTheGeneralDecoderAgrees(nonFinite: Bool) throws {
        var limits = JSONParser.Limits()
        limits.allowsNonFiniteNumbers = nonFinite
        var g = Generator(state: nonFinite ? 7 : 11)
        var tally = (fast: 0, generalOnly: 0, refused: 0)
        for _ in 0..<20_000 {
            let bytes = Array(Self.body(&g).utf8)
            let slow = try? InferenceRequest(body: bytes, jsonLength: nil, contract: Self.contract, limits: limits)
            guard let fast = OIPFastDecoder.decode(bytes, contract: Self.contract, limits: limits) else {
                if slow == nil { tally.refused += 1 } else { tally.generalOnly += 1 }
                continue
            }
            tally.fast += 1
            let general = try #require(
                slow, "the fast path accepted what the general decoder refuses: \(String(decoding: bytes, as: UTF8.self))")
            #expect(fast.isSameRequest(as: general), "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Every outcome must really occur, or the comparison proves little.
        #expect(tally.fast > 1000 && tally.generalOnly > 200 && tally.refused > 1000, "\(tally)")
    }

    @Test func theQuickstartRequestTakesTheFastPath() throws {
        let churn = try ModelContract(
            json: try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestServer.churnDirectory + "/warden-model.json")))))
        let root = URL(fileURLWithPath: TestServer.churnDirectory).deletingLastPathComponent()
        let body = Array(try Data(contentsOf: root.appendingPathComponent("requests/churn-infer.json")))
        let fast = try #require(OIPFastDecoder.decode(body, contract: churn, limits: JSONParser.Limits()))
        let general = try InferenceRequest(body: body, jsonLength: nil, contract: churn, limits: JSONParser.Limits())
        #expect(fast.isSameRequest(as: general))
        #expect(fast.feeds.count == 10 && fast.id == "quickstart-1")
        // tritonclient's shape, inputs then outputs or parameters: sent the general way before any
        // tensor is decoded, not after.
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        for tail in [#", "outputs": [{"name": "label"}]}"#, #", "parameters": {"binary_data_output": false}}"#] {
            let tritonShaped = Array((String(text.dropLast()) + tail).utf8)
            #expect(OIPFastDecoder.decode(tritonShaped, contract: churn, limits: JSONParser.Limits()) == nil)
            #expect(throws: Never.self) {
                try InferenceRequest(body: tritonShaped, jsonLength: nil, contract: churn, limits: JSONParser.Limits())
            }
        }
    }
}
