// Aligned text tables and small JSON accessors for human output.
import CohortControl

enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var items: [JSONValue] { if case .array(let a) = self { return a } else { return [] } }
    /// A cell: numbers without ".0", strings as they are, null as "–".
    var text: String {
        switch self {
        case .null: return "–"
        case .bool(let b): return b ? "yes" : "no"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(format: "%.3f", n)
        case .string(let s): return s
        case .array(let a): return a.map(\.text).joined(separator: ",")
        case .object: return "{…}"
        }
    }
}
