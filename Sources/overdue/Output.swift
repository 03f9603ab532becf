import Foundation

/// Buffered standard output: one `fwrite` per 64 KiB rather than one write per line, so
/// a million-line `plan` is not dominated by system calls.
final class Output {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        fflush(stdout)
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Lays out rows as left-aligned columns separated by two spaces (for `--format table`).
func formatTable(header: [String], rows: [[String]]) -> [String] {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func render(_ cells: [String]) -> String {
        var line = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 { line += cell } else { line += cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }
        }
        return line
    }
    return [render(header)] + rows.map(render)
}

enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}
