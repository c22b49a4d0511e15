import WardenJSON
import WardenONNX
import WardenSchema

/// Checks a batch against a flat-record contract column by column, straight from the tensors:
/// no JSON record is built. It answers only "every row is valid"; on "no", the caller builds
/// the records and runs the full validator for the violations (the rare path).
package enum ColumnarCheck {
    /// Whether every row satisfies `plan`; nil when a column's shape needs the full validator
    /// (values nested deeper than one array, or array assertions that read the items).
    package static func allRowsValid(_ plan: RecordPlan, _ columns: [(spec: TensorSpec, tensor: Tensor)]) -> Bool? {
        guard let batch = TensorRecords.batchSize(columns) else { return false }
        guard batch > 0 else { return true }
        guard plan.acceptsNames(columns.map(\.spec.name)) else { return false }
        for (spec, tensor) in columns {
            let column = plan.column(spec.name)
            if TensorRecords.isScalarPerRow(spec, tensor) {
                let width = tensor.count / batch
                for row in 0..<batch where !column.accepts(TensorRecords.element(tensor.storage, row * width)) { return false }
                continue
            }
            guard tensor.rank == 2 else { return nil }
            let width = tensor.shape[1]
            guard let countHolds = column.acceptsArray(count: width) else { return nil }
            guard countHolds else { return false }
            for index in 0..<tensor.count where !column.acceptsItem(TensorRecords.element(tensor.storage, index)) { return false }
        }
        return true
    }
}
