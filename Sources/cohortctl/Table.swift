// Aligned text tables and number cells for human output.
import Foundation

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

extension Double {
    /// A cell: whole numbers without ".0", others with three decimals.
    var cell: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(format: "%.3f", self) }
}
