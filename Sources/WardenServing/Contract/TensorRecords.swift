import WardenJSON
import WardenONNX

/// The record view of a batch: row `i` is an object of each tensor's name to its row `i`, as
/// JSON. Contract schemas describe one record, so the same schema holds for OIP v2 tensors
/// (JSON or binary) and KServe v1 instances.
package enum TensorRecords {
    /// The rows of `columns`, or nil when the tensors do not share a first (batch) dimension.
    ///
    /// A tensor whose contract shape has only fixed 1s after the batch dimension (`[-1, 1]`)
    /// gives a scalar per row; any other gives the row's nested array. The contract, not the
    /// request, decides, so a record's shape cannot change with the batch a client sends.
    package static func rows(_ columns: [(spec: TensorSpec, tensor: Tensor)]) -> [JSONValue]? {
        guard let batch = batchSize(columns) else { return nil }
        var rows = [[(key: String, value: JSONValue)]](repeating: [], count: batch)
        for row in 0..<batch { rows[row].reserveCapacity(columns.count) }
        for (spec, tensor) in columns {
            let width = batch == 0 ? 0 : tensor.count / batch
            let scalar = isScalarPerRow(spec, tensor)
            for row in 0..<batch {
                let value =
                    scalar ? element(tensor.storage, row * width) : nested(tensor.storage, tensor.shape.dropFirst(), from: row * width)
                rows[row].append((spec.name, value))
            }
        }
        return rows.map(JSONValue.object)
    }

    /// Whether each row of `tensor` is one value rather than an array.
    package static func isScalarPerRow(_ spec: TensorSpec, _ tensor: Tensor) -> Bool {
        tensor.rank == 1 || (spec.shape.count == tensor.rank && spec.shape.dropFirst().allSatisfy { $0 == 1 })
    }

    /// The common first dimension of `columns`, or nil when they do not share one.
    package static func batchSize(_ columns: [(spec: TensorSpec, tensor: Tensor)]) -> Int? {
        guard let batch = columns.first?.tensor.shape.first else { return columns.isEmpty ? 0 : nil }
        return columns.allSatisfy({ $0.tensor.rank >= 1 && $0.tensor.shape[0] == batch }) ? batch : nil
    }

    private static func nested(_ storage: TensorStorage, _ shape: ArraySlice<Int>, from start: Int) -> JSONValue {
        guard let first = shape.first else { return element(storage, start) }
        let stride = shape.dropFirst().reduce(1, *)
        return .array((0..<first).map { nested(storage, shape.dropFirst(), from: start + $0 * stride) })
    }

    /// One element as the model sees it. Floats print as their shortest decimal, so a client's
    /// 0.1 is checked as 0.1 and not as 0.100000001490116. NaN is a missing value, so null (the
    /// schema allows it only where it allows null); an infinity stays a number, so `minimum`
    /// and `maximum` judge it.
    package static func element(_ storage: TensorStorage, _ index: Int) -> JSONValue {
        switch storage {
        case let .float(v):
            let x = v[index]
            guard x.isFinite else { return x.isNaN ? .null : .number(Double(x)) }
            if x == x.rounded(), x.magnitude < 16_777_216 { return .integer(Int64(x)) }
            return .number(Double(x.description) ?? Double(x))
        case let .double(v): return v[index].isNaN ? .null : .number(v[index])
        case let .float16(v):
            let x = Float(v[index])
            return x.isNaN ? .null : .number(Double(x))
        case let .uint8(v): return .integer(Int64(v[index]))
        case let .int8(v): return .integer(Int64(v[index]))
        case let .int32(v): return .integer(Int64(v[index]))
        case let .int64(v): return .integer(v[index])
        case let .bool(v): return .bool(v[index])
        case let .string(v): return .string(v[index])
        }
    }
}
