/// Splits RFC 4180 CSV bytes into records of fields without building strings.
///
/// Works on raw bytes so a million-row import is a linear scan: fields are handed out as
/// buffers pointing into the input (or, for quoted fields with `""` escapes, into a scratch
/// buffer that is reused for every record). Accepted beyond the RFC: LF as well as CRLF line
/// ends, no newline after the last record, and blank lines, which are skipped.
///
/// Broken quoting does not stop the scan: the record is returned with its first quoting problem
/// and the reader carries on, so one import lists every bad row.
struct CSVRecordReader: ~Copyable {
    enum QuotingProblem: Equatable {
        /// A quoted field that never closes; it swallowed the rest of the file.
        case unterminatedQuote(field: Int)
        /// `"abc"def`: something other than a comma or line end follows a closing quote.
        case textAfterClosingQuote(field: Int)
        /// `ab"c`: a quote inside a field that did not start with one.
        case quoteInUnquotedField(field: Int)

        var field: Int {
            switch self {
            case .unterminatedQuote(let field), .textAfterClosingQuote(let field), .quoteInUnquotedField(let field): field
            }
        }

        var description: String {
            switch self {
            case .unterminatedQuote: "quoted field is never closed (missing '\"')"
            case .textAfterClosingQuote: "text after the closing quote of a quoted field (write \"\" for a quote inside it)"
            case .quoteInUnquotedField: "'\"' inside an unquoted field (quote the whole field and write \"\" for the quote)"
            }
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    /// `,` unless the file uses `;` or tab (see `ImportSeparator`).
    private let separator: UInt8
    /// Where the next record is read from.
    private(set) var position: Int
    /// The physical line (1-based) `position` is on.
    private(set) var line: Int
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    private var scratchUsed = 0

    /// The fields of the record last returned by `next()`; valid until the next call.
    private(set) var fields: [UnsafeBufferPointer<UInt8>] = []

    /// Reads `bytes`, skipping a UTF-8 byte order mark at the start of a file. `bytes` must
    /// outlive the reader. A block of a file read in parts starts on `line`, after the file's start.
    init(_ bytes: UnsafeBufferPointer<UInt8>, line: Int = 1, fileStart: Bool = true, separator: UInt8 = UInt8(ascii: ",")) {
        self.bytes = bytes
        self.separator = separator
        self.line = line
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        position = fileStart && bytes.count >= 3 && bytes[0] == bom[0] && bytes[1] == bom[1] && bytes[2] == bom[2] ? 3 : 0
        // Unescaped text is never longer than its source, so one record never needs more than
        // the whole input; untouched pages of the allocation cost nothing.
        scratch = .allocate(capacity: max(bytes.count, 1))
        fields.reserveCapacity(16)
    }

    deinit { scratch.deallocate() }

    /// Reads the next non-blank record into `fields`. Returns the line it starts on and its first
    /// quoting problem, or nil at the end of the input.
    mutating func next() -> (line: Int, problem: QuotingProblem?)? {
        let comma = separator, quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let count = bytes.count
        // Blank lines (LF or CRLF alone) separate nothing and are skipped.
        while position < count {
            if bytes[position] == lf {
                position += 1
                line += 1
            } else if bytes[position] == cr, position + 1 == count || bytes[position + 1] == lf {
                position = min(position + 2, count)
                line += 1
            } else {
                break
            }
        }
        guard position < count else { return nil }

        let startLine = line
        var problem: QuotingProblem?
        fields.removeAll(keepingCapacity: true)
        scratchUsed = 0

        while true {
            let fieldIndex = fields.count
            if position < count, bytes[position] == quote {
                position += 1
                var segment = position
                var unescaped: Int? = nil   // scratch offset once a `""` has been seen
                var closed = false
                while position < count {
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < count, bytes[position + 1] == quote {
                            // Copy what came before, including one quote, and continue after the pair.
                            if unescaped == nil { unescaped = scratchUsed }
                            append(segment..<(position + 1))
                            position += 2
                            segment = position
                            continue
                        }
                        closed = true
                        break
                    }
                    if byte == lf { line += 1 }
                    position += 1
                }
                if let start = unescaped {
                    append(segment..<position)
                    fields.append(UnsafeBufferPointer(rebasing: scratch[start..<scratchUsed]))
                } else {
                    fields.append(UnsafeBufferPointer(rebasing: bytes[segment..<position]))
                }
                guard closed else {
                    if problem == nil { problem = .unterminatedQuote(field: fieldIndex) }
                    return (startLine, problem)
                }
                position += 1   // the closing quote
                if position < count, bytes[position] != comma, bytes[position] != lf,
                   !(bytes[position] == cr && (position + 1 == count || bytes[position + 1] == lf)) {
                    if problem == nil { problem = .textAfterClosingQuote(field: fieldIndex) }
                    skipToFieldEnd()
                }
            } else {
                let start = position
                while position < count {
                    let byte = bytes[position]
                    if byte == comma || byte == lf { break }
                    if byte == quote, problem == nil { problem = .quoteInUnquotedField(field: fieldIndex) }
                    position += 1
                }
                var end = position
                if end > start, bytes[end - 1] == cr, position == count || bytes[position] == lf { end -= 1 }   // CRLF
                fields.append(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            }

            if position < count, bytes[position] == cr { position += 1 }   // only ever a CRLF's (or a final) CR here
            guard position < count else { return (startLine, problem) }
            if bytes[position] == comma {
                position += 1
                if position == count {   // `a,b,` at the very end: one more, empty field
                    fields.append(UnsafeBufferPointer(rebasing: bytes[count..<count]))
                    return (startLine, problem)
                }
                continue
            }
            position += 1   // LF
            line += 1
            return (startLine, problem)
        }
    }

    private mutating func append(_ range: Range<Int>) {
        for index in range {
            scratch[scratchUsed] = bytes[index]
            scratchUsed += 1
        }
    }

    /// After a quoting error, resynchronise at the next comma or line end.
    private mutating func skipToFieldEnd() {
        while position < bytes.count, bytes[position] != separator, bytes[position] != UInt8(ascii: "\n") {
            position += 1
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "\n"), position > 0, bytes[position - 1] == UInt8(ascii: "\r") {
            position -= 1
        }
    }
}
