/// Which byte separates the fields of an import file: the configured `separator`, or the one of
/// `,`, `;` and tab that splits the start of the file into a header the format recognises.
///
/// Only the first `peekSize` bytes are looked at and then handed on again, so the import still
/// reads the file once per pass, a block at a time. When no candidate finds a header there, the
/// comma is used and the header check reports what it found.
enum ImportSeparator {
    static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
    static let peekSize = 64 << 10

    /// The separator, and a read that yields the whole file from its start.
    static func detect(format: ImportFormat, read: @escaping CSVFileRead) throws -> (separator: UInt8, read: CSVFileRead) {
        if let separator = format.separator { return (separator, read) }
        var peek = [UInt8](repeating: 0, count: peekSize)
        var filled = 0
        while filled < peekSize {
            let count = try peek.withUnsafeMutableBytes { try read(UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if count == 0 { break }
            filled += count
        }
        peek.removeLast(peekSize - filled)
        let separator = choose(peek, format: format, complete: filled < peekSize)
        var offset = 0
        let replay: CSVFileRead = { buffer in
            guard offset < peek.count else { return try read(buffer) }
            let count = min(buffer.count, peek.count - offset)
            peek.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
        return (separator, replay)
    }

    /// The candidate whose records at the start of `bytes` hold the format's header (for format
    /// overdue: whose first record names the most of its columns).
    static func choose(_ bytes: [UInt8], format: ImportFormat, complete: Bool) -> UInt8 {
        // A record cut off at the end of the peek must not decide anything.
        let end = complete ? bytes.count : (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
        let (names, required) = format.headerNames
        let wanted = Set(names.filter { required.contains($0.key) }.values.map(format.headerKey))
        let known = Set(names.values.map(format.headerKey))
        var best = (separator: candidates[0], score: 0)
        bytes.withUnsafeBufferPointer { all in
            let buffer = UnsafeBufferPointer(rebasing: all[..<end])
            for candidate in candidates {
                var reader = CSVRecordReader(buffer, separator: candidate)
                var records = 0
                while records < 100, let record = reader.next() {
                    records += 1
                    let fields = Set(reader.fields.map { format.headerKey(CSVField.string($0)) })
                    if format.readsExports {
                        if record.problem == nil, wanted.isSubset(of: fields) {
                            best = (candidate, Int.max)
                            return
                        }
                    } else {
                        let score = fields.intersection(known).count
                        if score > best.score { best = (candidate, score) }
                        break
                    }
                }
            }
        }
        return best.separator
    }
}
