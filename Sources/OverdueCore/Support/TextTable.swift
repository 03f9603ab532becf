/// Lays out rows as left-aligned columns separated by two spaces, padded to the widest cell,
/// with no trailing spaces: every `--format table` output uses it.
public enum TextTable {
    public static func lines(header: [String], rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        return ([header] + rows).map { cells in
            var text = ""
            for (index, cell) in cells.enumerated() {
                text += cell
                if index < cells.count - 1 { text += String(repeating: " ", count: widths[index] - cell.count + 2) }
            }
            while text.last == " " { text.removeLast() }
            return text
        }
    }
}
