import Foundation
import OverdueCore

/// A plain-text message to the business owner: a decision to make or a delivery that failed.
public struct OwnerNotice: Sendable, Equatable {
    public enum Kind: String, Sendable { case decision, deliveryFailed = "delivery-failed" }

    public var kind: Kind
    public var invoice: String
    public var stage: String
    public var subject: String
    /// Plain text, `\n` line ends (the message builder converts to CRLF).
    public var body: String

    public init(kind: Kind, invoice: String, stage: String, subject: String, body: String) {
        self.kind = kind
        self.invoice = invoice
        self.stage = stage
        self.subject = subject
        self.body = body
    }
}

/// The built-in texts of owner notices, as pure functions of the ledger and the config.
///
/// They are not templates on purpose: the owner's notices must work even when the client
/// templates are being edited, and they carry the exact commands the owner may run.
public enum OwnerNotices {
    /// The hand-off notice for an `escalate` stage: what is owed, what was sent, and the options.
    ///
    /// - Parameters:
    ///   - amountDue: the balance with every dispatched stage's fee (as `plan` states it).
    ///   - history: the invoice's dispatches before this one, oldest first.
    public static func decision(invoice: Invoice, client: Client, stage: String, daysOverdue: Int,
                                amountDue: Money, history: [Dispatch], smallClaimsLimit: Money?) -> OwnerNotice {
        let number = invoice.number
        var lines: [String] = []
        lines.append("Invoice \(number) for \(client.name) (client \(client.id)) is \(daysOverdue) days overdue")
        lines.append("and has reached the \"\(stage)\" stage. overdue sends the client no more reminders")
        lines.append("for it; what happens next is your decision.")
        lines.append("")
        lines.append("Amount due:   \(amountDue)")
        lines.append("Invoiced:     \(invoice.amount) on \(invoice.issueDate), due \(invoice.dueDate)")
        lines.append("Paid so far:  \(invoice.paid)")
        lines.append("Days overdue: \(daysOverdue)")
        lines.append("")
        lines.append("Reminder history:")
        if history.isEmpty {
            lines.append("  (none: no reminder was sent for this invoice)")
        }
        for dispatch in history {
            lines.append("  \(dispatch.localDate)  \(dispatch.stage)  \(describe(dispatch.state))")
            if !dispatch.recipients.isEmpty { lines.append("      to: \(dispatch.recipients.joined(separator: ", "))") }
            if let id = dispatch.messageID { lines.append("      Message-ID: \(id)") }
            if let reply = dispatch.lastReply { lines.append("      server: \(reply)") }
        }
        lines.append("")
        lines.append("Your options:")
        var option = 1
        lines.append("  \(option). Hand it to a collections agency. The audit trail is your evidence:")
        lines.append("       overdue audit --invoice \(shellQuoted(number)) --format csv")
        option += 1
        if let limit = smallClaimsLimit, limit.currency == invoice.currency, amountDue.minorUnits <= limit.minorUnits {
            lines.append("  \(option). Take it to small claims court: \(amountDue) is within your limit of \(limit).")
            option += 1
        }
        lines.append("  \(option). Write it off and never work with this client again:")
        lines.append("       overdue invoice write-off \(shellQuoted(number)) --block-client")
        lines.append("")
        lines.append("If the client pays meanwhile, record it with:")
        lines.append("       overdue invoice pay \(shellQuoted(number)) AMOUNT")
        let subject = "Decision needed: invoice \(number) (\(client.name)), \(amountDue) unpaid, \(daysOverdue) days overdue"
        return OwnerNotice(kind: .decision, invoice: number, stage: stage, subject: subject,
                           body: lines.joined(separator: "\n") + "\n")
    }

    /// The notice that a reminder could not be delivered and will not be tried again.
    public static func deliveryFailed(dispatch: Dispatch, clientName: String, attempts: Int, reply: String,
                                      permanent: Bool) -> OwnerNotice {
        let number = dispatch.invoiceNumber
        var lines: [String] = []
        lines.append("The \"\(dispatch.stage)\" message for invoice \(number) (\(clientName)) was not delivered,")
        lines.append(permanent
            ? "and overdue will not try again: the mail server refused it permanently."
            : "and overdue has stopped trying: it was still failing after the give_up_after period.")
        lines.append("")
        lines.append("Recipients:   \(dispatch.recipients.isEmpty ? "(none)" : dispatch.recipients.joined(separator: ", "))")
        lines.append("Queued on:    \(dispatch.localDate) (\(formatTimestamp(dispatch.queuedAt)))")
        lines.append("Attempts:     \(attempts)")
        lines.append("Last reply:   \(reply)")
        lines.append("")
        lines.append("Check the client's address and the mail server, then look at the invoice:")
        lines.append("       overdue invoice show \(shellQuoted(number))")
        lines.append("overdue continues with the invoice's next stage when it is due.")
        let subject = "Not delivered: invoice \(number), stage \(dispatch.stage)"
        return OwnerNotice(kind: .deliveryFailed, invoice: number, stage: dispatch.stage, subject: subject,
                           body: lines.joined(separator: "\n") + "\n")
    }

    static func describe(_ state: DispatchState) -> String {
        switch state {
        case .sent: "sent"
        case .queued: "queued, not yet sent"
        case .sending: "being sent"
        case .retrying: "deferred by the server, retrying"
        case .failed: "failed"
        case .ambiguous: "outcome unknown (interrupted while sending)"
        case .released: "released for resending"
        case .done: "done"
        case .withdrawn: "withdrawn (no longer wanted)"
        }
    }

    /// The word as a POSIX shell would read it back: bare when it is plainly safe, else in single quotes.
    public static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:+@%=,".unicodeScalars)
        if !word.isEmpty, !word.hasPrefix("-"), word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
