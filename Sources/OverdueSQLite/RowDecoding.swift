import Foundation
import OverdueCore

/// How model values are written to and read from columns. The SELECT lists here and the
/// decoders below must stay in step; they are kept side by side for that reason.
enum Columns {
    static let client = "id, name, emails, hold, hold_reason, blocked, block_reason"
    static let invoice = """
        number, client_id, issue_date, due_date, currency, amount_minor,
        paid_imported_minor + paid_recorded_minor, status, hold, hold_reason, fees_minor
        """
    static let dispatchFrom = """
        d.id, d.invoice, d.stage, d.action, d.local_date, d.queued_at, d.state, d.attempts,
        d.next_attempt_at, m.message_id, d.last_reply, d.recipients, d.fee_minor, d.subject
        FROM dispatches d LEFT JOIN messages m ON m.id = d.message
        """
    static let audit = "seq, at, as_of, event, invoice, client, stage, details, prev_hash, hash"
}

extension Statement {
    func client(from start: Int32 = 0) -> Client {
        Client(id: text(start), name: text(start + 1), emails: splitAddresses(text(start + 2)),
               onHold: bool(start + 3), holdReason: optionalText(start + 4),
               blocked: bool(start + 5), blockReason: optionalText(start + 6))
    }

    /// `currencies` carries the currencies met so far across the rows of one cursor: a ledger
    /// uses a handful, and matching the column's bytes against them saves a String and a
    /// dictionary lookup per row.
    func invoice(path: String, currencies: inout [Currency]) throws -> Invoice {
        let number = text(0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(path): invoice \(number): stored \(column) is not valid")
        }
        guard let issue = date(2) else { throw corrupt("issue_date") }
        guard let due = date(3) else { throw corrupt("due_date") }
        guard let currency = currency(4, known: &currencies) else { throw corrupt("currency") }
        guard let status = InvoiceStatus(rawValue: text(7)) else { throw corrupt("status") }
        return Invoice(number: number, clientID: text(1), issueDate: issue, dueDate: due,
                       amount: Money(minorUnits: int(5), currency: currency),
                       paid: Money(minorUnits: int(6), currency: currency),
                       status: status, onHold: bool(8), holdReason: optionalText(9),
                       fees: Money(minorUnits: int(10), currency: currency))
    }

    func invoice(path: String) throws -> Invoice {
        var currencies: [Currency] = []
        return try invoice(path: path, currencies: &currencies)
    }

    /// A `YYYY-MM-DD` column read in place, exactly as `LocalDate(String)` reads it.
    func date(_ column: Int32) -> LocalDate? {
        withBytes(column) { LocalDate(utf8: $0) }
    }

    func currency(_ column: Int32, known: inout [Currency]) -> Currency? {
        let match = withBytes(column) { bytes in known.first { $0.code.utf8.elementsEqual(bytes) } }
        if let match { return match }
        guard let currency = Currency(code: text(column)) else { return nil }
        known.append(currency)
        return currency
    }

    func dispatch(path: String) throws -> Dispatch {
        let id = int(0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(path): dispatch \(id): stored \(column) is not valid")
        }
        guard let action = Stage.Action(rawValue: text(3)) else { throw corrupt("action") }
        guard let date = LocalDate(stored: text(4)) else { throw corrupt("local_date") }
        guard let state = DispatchState(rawValue: text(6)) else { throw corrupt("state") }
        return Dispatch(id: id, invoiceNumber: text(1), stage: text(2), action: action, localDate: date,
                        queuedAt: storedDate(int(5)), state: state, attempts: Int(int(7)),
                        nextAttemptAt: optionalInt(8).map(storedDate), messageID: optionalText(9),
                        lastReply: optionalText(10), recipients: splitAddresses(text(11)), feeMinorUnits: int(12),
                        subject: optionalText(13))
    }

    func auditEntry() -> AuditEntry {
        AuditEntry(seq: int(0), at: storedDate(int(1)), asOf: optionalInt(2).map(storedDate), event: text(3),
                   invoice: optionalText(4), client: optionalText(5), stage: optionalText(6),
                   detailsJSON: text(7), prevHash: hexBlob(8), hash: hexBlob(9))
    }
}
