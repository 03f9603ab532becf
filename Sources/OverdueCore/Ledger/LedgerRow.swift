import Foundation

/// The SELECT lists of the model values, the same for every store, kept beside the decoders
/// below that read their columns by position: the two must stay in step.
public enum LedgerColumns {
    public static let client = "id, name, emails, hold, hold_reason, blocked, block_reason"
    public static let invoice = """
        number, client_id, issue_date, due_date, currency, amount_minor,
        paid_imported_minor + paid_recorded_minor, status, hold, hold_reason, fees_minor
        """
    public static let dispatchFrom = """
        d.id, d.invoice, d.stage, d.action, d.local_date, d.queued_at, d.state, d.attempts,
        d.next_attempt_at, m.message_id, d.last_reply, d.recipients, d.fee_minor, d.subject
        FROM dispatches d LEFT JOIN messages m ON m.id = d.message
        """
    public static let audit = "seq, at, as_of, event, invoice, client, stage, details, prev_hash, hash"
    public static let payment = "amount_minor, paid_on, recorded_at"
    public static let fee = "stage, amount_minor, charged_at, waived_at, waive_reason"
}

/// One row of a store's result, read by column position (0-based): all a decoder needs.
public protocol LedgerRow {
    func text(_ column: Int) -> String
    func optionalText(_ column: Int) -> String?
    func int(_ column: Int) -> Int64
    func optionalInt(_ column: Int) -> Int64?
    func bool(_ column: Int) -> Bool
    /// A stored hash as lower-case hex.
    func hex(_ column: Int) -> String
    /// A `YYYY-MM-DD` invoice date column (a store may read it in place).
    func date(_ column: Int) -> LocalDate?
    /// A currency column; `known` carries the currencies met so far across the rows of one
    /// result, so a store may match the column's bytes against them instead of making a String.
    func currency(_ column: Int, known: inout [Currency]) -> Currency?
}

extension LedgerRow {
    public func date(_ column: Int) -> LocalDate? { LocalDate(stored: text(column)) }

    public func currency(_ column: Int, known: inout [Currency]) -> Currency? { Currency(code: text(column)) }
}

extension Client {
    /// The client in `LedgerColumns.client`, starting at column `start`.
    @inlinable
    public init(row: some LedgerRow, from start: Int = 0) {
        self.init(id: row.text(start), name: row.text(start + 1), emails: splitAddresses(row.text(start + 2)),
                  onHold: row.bool(start + 3), holdReason: row.optionalText(start + 4),
                  blocked: row.bool(start + 5), blockReason: row.optionalText(start + 6))
    }
}

extension Invoice {
    /// The invoice in `LedgerColumns.invoice`; a column that does not hold a valid value is 74,
    /// naming `ledger` (the file or database) and the invoice.
    @inlinable
    public init(row: some LedgerRow, ledger: String, currencies: inout [Currency]) throws {
        let number = row.text(0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(ledger): invoice \(number): stored \(column) is not valid")
        }
        guard let issue = row.date(2) else { throw corrupt("issue_date") }
        guard let due = row.date(3) else { throw corrupt("due_date") }
        guard let currency = row.currency(4, known: &currencies) else { throw corrupt("currency") }
        guard let status = InvoiceStatus(rawValue: row.text(7)) else { throw corrupt("status") }
        self.init(number: number, clientID: row.text(1), issueDate: issue, dueDate: due,
                  amount: Money(minorUnits: row.int(5), currency: currency),
                  paid: Money(minorUnits: row.int(6), currency: currency),
                  status: status, onHold: row.bool(8), holdReason: row.optionalText(9),
                  fees: Money(minorUnits: row.int(10), currency: currency))
    }
}

extension Dispatch {
    /// The dispatch in `LedgerColumns.dispatchFrom`; a column that does not hold a valid value
    /// is 74, naming `ledger` and the dispatch.
    @inlinable
    public init(row: some LedgerRow, ledger: String) throws {
        let id = row.int(0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(ledger): dispatch \(id): stored \(column) is not valid")
        }
        guard let action = Stage.Action(rawValue: row.text(3)) else { throw corrupt("action") }
        guard let date = LocalDate(stored: row.text(4)) else { throw corrupt("local_date") }
        guard let state = DispatchState(rawValue: row.text(6)) else { throw corrupt("state") }
        self.init(id: id, invoiceNumber: row.text(1), stage: row.text(2), action: action, localDate: date,
                  queuedAt: storedDate(row.int(5)), state: state, attempts: Int(row.int(7)),
                  nextAttemptAt: row.optionalInt(8).map(storedDate), messageID: row.optionalText(9),
                  lastReply: row.optionalText(10), recipients: splitAddresses(row.text(11)), feeMinorUnits: row.int(12),
                  subject: row.optionalText(13))
    }
}

extension AuditEntry {
    /// The entry in `LedgerColumns.audit`.
    @inlinable
    public init(row: some LedgerRow) {
        self.init(seq: row.int(0), at: storedDate(row.int(1)), asOf: row.optionalInt(2).map(storedDate), event: row.text(3),
                  invoice: row.optionalText(4), client: row.optionalText(5), stage: row.optionalText(6),
                  detailsJSON: row.text(7), prevHash: row.hex(8), hash: row.hex(9))
    }
}

extension Payment {
    /// A payment of invoice `number` in `LedgerColumns.payment`, in the invoice's currency.
    @inlinable
    public init(row: some LedgerRow, currency: Currency, ledger: String, invoice number: String) throws {
        guard let date = LocalDate(stored: row.text(1)) else {
            throw OverdueError(.ioError, "\(ledger): invoice \(number): stored payment date is not valid")
        }
        self.init(amount: Money(minorUnits: row.int(0), currency: currency), paidOn: date, recordedAt: storedDate(row.int(2)))
    }
}

extension ChargedFee {
    /// A fee in `LedgerColumns.fee`, in its invoice's currency.
    @inlinable
    public init(row: some LedgerRow, currency: Currency) {
        self.init(stage: row.text(0), amount: Money(minorUnits: row.int(1), currency: currency), chargedAt: storedDate(row.int(2)),
                  waivedAt: row.optionalInt(3).map(storedDate), waiveReason: row.optionalText(4))
    }
}
