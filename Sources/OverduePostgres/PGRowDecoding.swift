import Foundation
import OverdueCore

/// The SELECT lists of the model values, as the SQLite store's, with their decoders beside them.
enum PGColumns {
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

extension PGResult {
    func client(_ row: Int, from start: Int = 0) -> Client {
        Client(id: text(row, start), name: text(row, start + 1), emails: splitAddresses(text(row, start + 2)),
               onHold: bool(row, start + 3), holdReason: optionalText(row, start + 4),
               blocked: bool(row, start + 5), blockReason: optionalText(row, start + 6))
    }

    func invoice(_ row: Int, label: String) throws -> Invoice {
        let number = text(row, 0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(label): invoice \(number): stored \(column) is not valid")
        }
        guard let issue = LocalDate(stored: text(row, 2)) else { throw corrupt("issue_date") }
        guard let due = LocalDate(stored: text(row, 3)) else { throw corrupt("due_date") }
        guard let currency = Currency(code: text(row, 4)) else { throw corrupt("currency") }
        guard let status = InvoiceStatus(rawValue: text(row, 7)) else { throw corrupt("status") }
        return Invoice(number: number, clientID: text(row, 1), issueDate: issue, dueDate: due,
                       amount: Money(minorUnits: int(row, 5), currency: currency),
                       paid: Money(minorUnits: int(row, 6), currency: currency),
                       status: status, onHold: bool(row, 8), holdReason: optionalText(row, 9),
                       fees: Money(minorUnits: int(row, 10), currency: currency))
    }

    func dispatch(_ row: Int, label: String) throws -> Dispatch {
        let id = int(row, 0)
        func corrupt(_ column: String) -> OverdueError {
            OverdueError(.ioError, "\(label): dispatch \(id): stored \(column) is not valid")
        }
        guard let action = Stage.Action(rawValue: text(row, 3)) else { throw corrupt("action") }
        guard let date = LocalDate(stored: text(row, 4)) else { throw corrupt("local_date") }
        guard let state = DispatchState(rawValue: text(row, 6)) else { throw corrupt("state") }
        return Dispatch(id: id, invoiceNumber: text(row, 1), stage: text(row, 2), action: action, localDate: date,
                        queuedAt: storedDate(int(row, 5)), state: state, attempts: Int(int(row, 7)),
                        nextAttemptAt: optionalInt(row, 8).map(storedDate), messageID: optionalText(row, 9),
                        lastReply: optionalText(row, 10), recipients: splitAddresses(text(row, 11)),
                        feeMinorUnits: int(row, 12), subject: optionalText(row, 13))
    }

    func auditEntry(_ row: Int) -> AuditEntry {
        AuditEntry(seq: int(row, 0), at: storedDate(int(row, 1)), asOf: optionalInt(row, 2).map(storedDate),
                   event: text(row, 3), invoice: optionalText(row, 4), client: optionalText(row, 5),
                   stage: optionalText(row, 6), detailsJSON: text(row, 7), prevHash: hex(row, 8), hash: hex(row, 9))
    }
}
