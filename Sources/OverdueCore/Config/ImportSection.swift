import TOMLKit

/// `[import]`: optional. `watch` is the folder each tick imports new `*.csv` files from
/// (absolute, or relative to the config file). The other keys say how invoice files are laid
/// out (`ImportFormat`): `format` (overdue | xero | custom, default overdue), `date_format`
/// (DD/MM/YYYY | MM/DD/YYYY | YYYY-MM-DD, default ISO only), `currency` (for files without a
/// currency column), `client_key` (email | name, default name: how a client is recognised in a
/// file without client ids), `separator` ("," ";" or "\t", default detected), and the tables
/// `[import.columns]` (overdue's field = the file's header name; needed by format custom) and
/// `[import.status]` (the file's status word = open | paid | cancelled | skip).
enum ImportSection {
    struct Settings {
        var watch: String?
        var format: ImportFormat
    }

    /// Fields a custom column map must name: without them no invoice can be built.
    static let requiredColumns: [ImportFormat.Field] = [.number, .clientName, .clientEmail, .issueDate, .dueDate, .amount]

    /// The settings; nil after a reported problem.
    static func read(_ reader: ConfigTableReader, folder: String) -> Settings? {
        reader.refuseUnknownKeys(allowed: ["watch", "format", "date_format", "currency", "client_key", "separator", "columns", "status"])
        let watch = ConfigPaths.read(reader, "watch", folder: folder)
        var format = ImportFormat()
        if let kind = reader.parsed("format", { text in
            ImportFormat.Kind(rawValue: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not a format (expected overdue, xero or custom)"))
        }) { format.kind = kind }
        if let order = reader.parsed("date_format", { text in
            ImportFormat.DateOrder(rawValue: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not a date format (expected DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD)"))
        }) { format.dateOrder = order }
        format.currency = reader.parsed("currency") { text in
            Currency(code: text).map { .success($0) } ?? .failure(ConfigProblem("\"\(text)\" is not an ISO 4217 currency code"))
        }
        if let key = reader.parsed("client_key", { text in
            ImportFormat.ClientKey(rawValue: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not a client key (expected email or name)"))
        }) { format.clientKey = key }
        format.separator = reader.parsed("separator") { text in
            switch text {
            case ",", ";", "\t": .success(text.utf8.first!)
            default: .failure(ConfigProblem("\"\(text.escapingControls())\" is not a separator (expected \",\", \";\" or \"\\t\")"))
            }
        }
        var failed = false
        if let columns = subtable(reader, "columns") {
            let keys = ImportFormat.Field.allCases.filter { $0 != .type }.map(\.rawValue)
            columns.refuseUnknownKeys(allowed: Set(keys))
            for key in keys {
                if let name = columns.nonEmptyString(key) { format.columns[ImportFormat.Field(rawValue: key)!] = name }
            }
            if format.columns[.paid] != nil, format.columns[.balance] != nil {
                columns.fail("balance", "map either paid or balance, not both (paid = amount - balance)")
            }
            let names = format.columns.map { (ImportFormat.fold($0.value), $0.key.rawValue) }
            for (name, fields) in Dictionary(grouping: names, by: \.0) where fields.count > 1 {
                columns.fail(fields.map(\.1).sorted()[1], "the header name \"\(name)\" is mapped twice (\(fields.map(\.1).sorted().joined(separator: ", ")))")
            }
            if format.kind == .custom {
                for field in requiredColumns where format.columns[field] == nil {
                    columns.fail(field.rawValue, "is required with format = \"custom\" (the file's header name of the \(field.rawValue))")
                }
            }
            failed = failed || columns.failed
        } else if format.kind == .custom, !reader.failed {
            reader.fail("format", "format = \"custom\" needs an [import.columns] table naming the file's columns (see config/import/ for examples)")
        }
        if let statuses = subtable(reader, "status") {
            for word in statuses.table.keys.sorted() {
                guard let meaning = statuses.parsed(word, { text in
                    ImportFormat.StatusMeaning(rawValue: text).map { .success($0) }
                        ?? .failure(ConfigProblem("\"\(text)\" is not a meaning (expected open, paid, cancelled or skip)"))
                }) else { continue }
                format.statuses[ImportFormat.fold(word)] = meaning
            }
            failed = failed || statuses.failed
        }
        if format.kind == .custom, format.columns[.currency] == nil, format.currency == nil, !reader.failed, !failed {
            reader.fail("currency", "is required when [import.columns] maps no currency column")
        }
        guard !reader.failed, !failed else { return nil }
        return Settings(watch: watch, format: format)
    }

    /// What keeps `format` from reading a file as `kind` (for `import --format`), nil when nothing.
    static func problem(_ format: ImportFormat, as kind: ImportFormat.Kind) -> String? {
        guard kind == .custom else { return nil }
        let missing = requiredColumns.filter { format.columns[$0] == nil }.map(\.rawValue)
        if !missing.isEmpty {
            return "format custom needs [import.columns] naming the file's columns for \(missing.joined(separator: ", ")) (see config/import/ for examples)"
        }
        if format.columns[.currency] == nil, format.currency == nil {
            return "format custom needs [import] currency when [import.columns] maps no currency column"
        }
        return nil
    }

    /// A reader for `[import.NAME]`, nil when absent (or not a table, reported).
    private static func subtable(_ reader: ConfigTableReader, _ name: String) -> ConfigTableReader? {
        guard let value = reader.table[name] else { return nil }
        guard let table = value.table else {
            reader.fail(name, "expected a table [import.\(name)]")
            return nil
        }
        return ConfigTableReader(table: table, name: "import.\(name)", diagnostics: reader.diagnostics)
    }
}
