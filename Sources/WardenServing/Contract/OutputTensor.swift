import WardenONNX

/// An engine output as a tensor. OIP has no map type: ZipMap's sequence of maps is its score
/// matrix, a single map its values.
package enum OutputTensor {
    package static func of(_ value: Value?) -> Tensor {
        switch value {
        case let .tensor(tensor)?: return tensor
        case let .mapSequence(sequence)?: return .float(sequence.values, shape: [sequence.rows, sequence.keys.count])
        case let .map(map)?: return Tensor(shape: [map.values.count], storage: map.values)
        case nil: return .float([], shape: [0])
        }
    }
}
