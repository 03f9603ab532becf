import Foundation

/// How an invoice file is laid out: the `[import]` keys of the config (`format`, `date_format`,
/// `currency`, `client_key`, `separator`, `[import.columns]`, `[import.status]`).
///
/// `overdue` is the spec's own ten columns, read strictly (the header is the first row, an
/// unknown column is an error). `xero` and `custom` read what other tools export: the header is
/// the first row holding the mapped names, unmapped columns are ignored, consecutive rows of one
/// invoice number are one invoice (line items), and totals, headings and footers are skipped.
public struct ImportFormat: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case overdue, xero, custom
    }

    /// The order of day, month and year in dates that are not ISO (ISO is always accepted).
    public enum DateOrder: String, Sendable, CaseIterable {
        case dayMonthYear = "DD/MM/YYYY"
        case monthDayYear = "MM/DD/YYYY"
        case yearMonthDay = "YYYY-MM-DD"
    }

    /// What one client is, in a file without client ids.
    public enum ClientKey: String, Sendable, CaseIterable {
        case email, name
    }

    /// What a status word of the file means to overdue; `skip` leaves the row out.
    public enum StatusMeaning: String, Sendable, CaseIterable {
        case open, paid, cancelled, skip
    }

    /// The fields overdue reads, as the keys of `[import.columns]` name them.
    public enum Field: String, Sendable, CaseIterable {
        case number
        case clientID = "client_id"
        case clientName = "client_name"
        case clientEmail = "client_email"
        case issueDate = "issue_date"
        case dueDate = "due_date"
        case amount, currency, paid, balance, status
        /// Xero's `Type`: rows of anything but sales invoices are skipped. Not a key of `[import.columns]`.
        case type
    }

    public var kind: Kind
    public var dateOrder: DateOrder
    /// For rows of a file without a currency column.
    public var currency: Currency?
    /// How a client is recognised when the file has no `client_id` column.
    public var clientKey: ClientKey
    /// `,`, `;` or tab; nil: detected from the header.
    public var separator: UInt8?
    /// `[import.columns]`: overdue's field → the file's header name (format `custom`).
    public var columns: [Field: String]
    /// `[import.status]`: the file's word (folded, see `ImportFormat.fold`) → its meaning.
    public var statuses: [String: StatusMeaning]

    public init(kind: Kind = .overdue, dateOrder: DateOrder = .yearMonthDay, currency: Currency? = nil,
                clientKey: ClientKey = .name, separator: UInt8? = nil, columns: [Field: String] = [:],
                statuses: [String: StatusMeaning] = [:]) {
        self.kind = kind
        self.dateOrder = dateOrder
        self.currency = currency
        self.clientKey = clientKey
        self.separator = separator
        self.columns = columns
        self.statuses = statuses
    }

    /// overdue's own columns, nothing configured.
    public static let overdue = ImportFormat()

    /// Whether the file is an export of another tool (preamble, line items, totals, lenient amounts).
    var readsExports: Bool { kind != .overdue }

    /// The file's header name of each field, and the fields a header must hold to be the header.
    var headerNames: (names: [Field: String], required: Set<Field>) {
        switch kind {
        case .overdue:
            return (Dictionary(uniqueKeysWithValues: Field.overdueColumns.map { ($0, $0.rawValue) }), [])
        case .xero:
            return (ImportFormat.xeroColumns, [.number, .clientName, .clientEmail, .issueDate, .dueDate, .amount])
        case .custom:
            return (columns, Set(columns.keys))
        }
    }

    /// The columns of Xero's invoice export (Business › Invoices › Export), one row per line item.
    /// `InvoiceAmountDue` is read as the balance (it also nets credit notes allocated to the
    /// invoice, which `InvoiceAmountPaid` does not); `InvoiceAmountPaid` only when it is absent.
    static let xeroColumns: [Field: String] = [
        .number: "InvoiceNumber", .clientName: "ContactName", .clientEmail: "EmailAddress",
        .issueDate: "InvoiceDate", .dueDate: "DueDate", .amount: "Total", .paid: "InvoiceAmountPaid",
        .balance: "InvoiceAmountDue", .currency: "Currency", .status: "Status", .type: "Type",
    ]

    /// Xero's statuses, in its API's words and in the words its screens and exports use.
    /// Drafts and invoices awaiting approval were never sent, so no reminder is due: skipped.
    /// Deleted invoices were drafts; voided ones were sent and withdrawn: both cancel a copy in the ledger.
    static let xeroStatuses: [String: StatusMeaning] = [
        "draft": .skip, "submitted": .skip, "awaiting approval": .skip,
        "authorised": .open, "authorized": .open, "awaiting payment": .open,
        "paid": .paid, "voided": .cancelled, "void": .cancelled, "deleted": .cancelled,
    ]

    /// Xero's `Type` values of a sales invoice (export words and API code); any other type
    /// (bills, credit notes) is skipped. An empty `Type` is a sales invoice, as in Xero's import
    /// template, which has no `Type` column.
    static let xeroSalesTypes: Set<String> = ["sales invoice", "accrec", ""]

    /// The status words of this format: the configured ones over the built-in ones.
    var statusWords: [String: StatusMeaning] {
        let builtIn: [String: StatusMeaning] = kind == .xero ? ImportFormat.xeroStatuses
            : ["open": .open, "paid": .paid, "cancelled": .cancelled]
        return builtIn.merging(statuses) { _, configured in configured }
    }

    /// A header name as it is compared: folded, and for Xero without the `*` its import template
    /// puts before required columns (`*InvoiceNumber`).
    func headerKey(_ name: String) -> String {
        let key = ImportFormat.fold(name)
        return kind == .xero && key.hasPrefix("*") ? String(key.dropFirst()) : key
    }

    /// A header name or status word as it is compared: without surrounding spaces (tabs and
    /// no-break spaces included), lower case.
    public static func fold(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}"))).lowercased()
    }
}
