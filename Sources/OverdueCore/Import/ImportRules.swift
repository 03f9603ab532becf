/// An invoice's imported fields as a store keeps them, in their column form.
public struct StoredImportedInvoice: Sendable, Equatable {
    public var clientID: String
    public var issueDate: String
    public var dueDate: String
    public var currency: String
    public var amountMinor: Int64
    public var paidImportedMinor: Int64
    public var status: String

    public init(clientID: String, issueDate: String, dueDate: String, currency: String, amountMinor: Int64,
                paidImportedMinor: Int64, status: String) {
        self.clientID = clientID
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.currency = currency
        self.amountMinor = amountMinor
        self.paidImportedMinor = paidImportedMinor
        self.status = status
    }

    /// A new invoice as it is stored.
    public init(_ invoice: Invoice) {
        self.init(clientID: invoice.clientID, issueDate: invoice.issueDate.description, dueDate: invoice.dueDate.description,
                  currency: invoice.currency.code, amountMinor: invoice.amount.minorUnits,
                  paidImportedMinor: invoice.paid.minorUnits, status: invoice.status.rawValue)
    }
}

/// What an imported row does to the ledger, one implementation for every store: the status it
/// leaves, what a row for a known invoice changes and how that is audited, and the details of a
/// new invoice's audit entry. The stores keep only their SQL.
public enum ImportRules {
    /// Counts a new invoice in the summary, with a warning when its client is blocked: the row
    /// is imported (the ledger mirrors the accounting tool) but no reminder will ever go out.
    public static func countInserted(_ invoice: Invoice, blockedClients: Set<String>, in summary: inout ImportSummary) {
        summary.inserted += 1
        if !blockedClients.isEmpty, blockedClients.contains(invoice.clientID) {
            summary.warnings.append("warning: client \(invoice.clientID) is blocked; invoice \(invoice.number) imported but will never be reminded")
        }
    }

    /// The status an imported row leaves the invoice in: a file may say an invoice is paid or
    /// cancelled; it never reopens one, nor undoes an escalation or a write-off.
    public static func resolvedStatus(csv: InvoiceStatus, ledger: InvoiceStatus) -> InvoiceStatus {
        switch csv {
        case .paid, .cancelled: csv
        case .open, .escalated, .writtenOff: ledger
        }
    }

    /// What a row for an invoice the ledger holds (`old`) changes: the fields to store and the
    /// `invoice.updated` entry naming each change from/to; nil when the row changes nothing.
    public static func update(_ invoice: Invoice, over old: StoredImportedInvoice,
                              origin: (source: String, line: Int)?) -> (stored: StoredImportedInvoice, record: AuditRecord)? {
        let currency = invoice.currency
        let oldCurrency = Currency(code: old.currency) ?? currency
        let status = resolvedStatus(csv: invoice.status, ledger: InvoiceStatus(rawValue: old.status) ?? .open)
        var stored = StoredImportedInvoice(invoice)
        stored.status = status.rawValue
        var changes: [(String, JSONValue)] = []
        func compare(_ field: String, _ before: String, _ after: String) {
            if before != after { changes.append((field, .object([("from", .string(before)), ("to", .string(after))]))) }
        }
        compare("client_id", old.clientID, stored.clientID)
        compare("issue_date", old.issueDate, stored.issueDate)
        compare("due_date", old.dueDate, stored.dueDate)
        compare("currency", old.currency, stored.currency)
        compare("amount", Money.format(old.amountMinor, digits: oldCurrency.minorDigits), invoice.amount.decimalString)
        compare("paid", Money.format(old.paidImportedMinor, digits: oldCurrency.minorDigits), invoice.paid.decimalString)
        compare("status", old.status, stored.status)
        guard !changes.isEmpty else { return nil }
        var details: [(String, JSONValue)] = []
        if let origin { details = [("source", .string(origin.source)), ("line", .int(Int64(origin.line)))] }
        return (stored, AuditRecord(.invoiceUpdated, invoice: invoice.number, client: invoice.clientID,
                                    details: details + [("changes", .object(changes))]))
    }

    /// What a row naming a client the ledger holds changes: the client as it is then, and the
    /// `client.updated` entry naming each change (nil when nothing changes). An empty name or
    /// address list (from `invoice add` naming only the id) keeps what is stored.
    public static func update(_ current: Client, name: String, emails: [String]) -> (client: Client, record: AuditRecord?) {
        var changes: [(String, JSONValue)] = []
        var updated = current
        if !name.isEmpty, current.name != name {
            changes.append(("name", .object([("from", .string(current.name)), ("to", .string(name))])))
            updated.name = name
        }
        if !emails.isEmpty, current.emails != emails {
            changes.append(("emails", .object([("from", .strings(current.emails)), ("to", .strings(emails))])))
            updated.emails = emails
        }
        guard !changes.isEmpty else { return (current, nil) }
        return (updated, AuditRecord(.clientUpdated, client: current.id, details: [("changes", .object(changes))]))
    }

    /// Writes the details of a new client's `client.added` entry as JSON bytes (`details` is
    /// emptied first). A client the ledger does not hold needs its name and an address: 65.
    public static func newClient(id: String, name: String, emails: [String], details: inout [UInt8]) throws {
        guard !name.isEmpty, !emails.isEmpty else {
            throw OverdueError(.dataError, "client \(id): not found; give its name and email to add it")
        }
        details.removeAll(keepingCapacity: true)
        var object = JSONObjectWriter()
        object.key("name", to: &details)
        JSONValue.writeString(name, to: &details)
        object.key("emails", to: &details)
        JSONValue.writeStrings(emails, to: &details)
        object.end(to: &details)
    }

    /// Writes the details of a new invoice's entry (`invoice.imported` from a file,
    /// `invoice.added` otherwise) as JSON bytes, in the order the trail has always had them.
    /// Only the source is text from outside, escaped once per file; every other value is
    /// digits, `-`, `.`, an ISO code or a status word, which JSON writes as is, so the members
    /// go in as fixed fragments with their values between (the hot path of a large import).
    public struct InsertedDetails {
        private var sourceMembers: (source: String, bytes: [UInt8])?
        private var date: [UInt8] = []

        public init() {}

        /// `details` is emptied first; `issueDate`/`dueDate`: the dates as written already by
        /// the caller, or nil to have them written here.
        public mutating func write(_ invoice: Invoice, origin: (source: String, line: Int)?, issueDate: [UInt8]? = nil,
                                   dueDate: [UInt8]? = nil, to details: inout [UInt8]) {
            details.removeAll(keepingCapacity: true)
            if let origin {
                if sourceMembers?.source != origin.source {
                    var members: [UInt8] = []
                    var object = JSONObjectWriter()
                    object.key("source", to: &members)
                    JSONValue.writeString(origin.source, to: &members)
                    object.key("line", to: &members)
                    sourceMembers = (origin.source, members)
                }
                details.append(contentsOf: sourceMembers!.bytes)
                ByteText.append(Int64(origin.line), to: &details)
                details.append(contentsOf: Self.issueDateAfterMember)
            } else {
                details.append(contentsOf: Self.issueDateFirst)
            }
            append(invoice.issueDate, given: issueDate, to: &details)
            details.append(contentsOf: Self.dueDateMember)
            append(invoice.dueDate, given: dueDate, to: &details)
            details.append(contentsOf: Self.amountMember)
            ByteText.append(invoice.amount, to: &details)
            details.append(contentsOf: Self.paidMember)
            ByteText.append(invoice.paid, to: &details)
            details.append(contentsOf: Self.currencyMember)
            details.append(contentsOf: invoice.currency.code.utf8)
            details.append(contentsOf: Self.statusMember)
            details.append(contentsOf: invoice.status.rawValue.utf8)
            details.append(contentsOf: Self.objectEnd)
        }

        private mutating func append(_ day: LocalDate, given: [UInt8]?, to details: inout [UInt8]) {
            if let given { return details.append(contentsOf: given) }
            date.removeAll(keepingCapacity: true)
            ByteText.append(day, to: &date)
            details.append(contentsOf: date)
        }

        private static let issueDateFirst = Array(#"{"issue_date":""#.utf8)
        private static let issueDateAfterMember = Array(#","issue_date":""#.utf8)
        private static let dueDateMember = Array(#"","due_date":""#.utf8)
        private static let amountMember = Array(#"","amount":""#.utf8)
        private static let paidMember = Array(#"","paid":""#.utf8)
        private static let currencyMember = Array(#"","currency":""#.utf8)
        private static let statusMember = Array(#"","status":""#.utf8)
        private static let objectEnd = Array(#""}"#.utf8)
    }
}
