import Foundation
import OverdueCore

/// A message to the business owner: a decision to make or a delivery that failed.
public struct OwnerNotice: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case decision, deliveryFailed = "delivery-failed", importRejected = "import-rejected"
        case reply, bounce, autoReply = "auto-reply"
    }

    public var kind: Kind
    public var invoice: String
    public var stage: String
    public var subject: String
    /// Plain text wrapped at 72 columns, `\n` line ends (the message builder converts to CRLF).
    public var body: String
    /// The same notice as HTML, when it has one (the message is then multipart/alternative).
    public var html: String?

    public init(kind: Kind, invoice: String, stage: String, subject: String, body: String, html: String? = nil) {
        self.kind = kind
        self.invoice = invoice
        self.stage = stage
        self.subject = subject
        self.body = body
        self.html = html
    }
}

/// The built-in texts of owner notices, as pure functions of the ledger and the config.
///
/// They are not templates on purpose: the owner's notices must work even when the client
/// templates are being edited, and they carry the exact commands the owner may run. Prose is
/// wrapped at 72 columns by `WordWrap`; a command is always one whole line, so it can be
/// copied into a shell as it stands.
public enum OwnerNotices {
    /// The hand-off notice for an `escalate` stage: who the client is, what is owed, what was
    /// sent, and the options; as text and as HTML that reads on a phone.
    ///
    /// - Parameters:
    ///   - amountDue: the balance the hand-off states (as `plan` states it); the difference to
    ///     `amount - paid` is shown as fees, so the lines always add up.
    ///   - history: the invoice's dispatches before this one, oldest first.
    public static func decision(invoice: Invoice, client: Client, stage: String, daysOverdue: Int,
                                amountDue: Money, history: [Dispatch], smallClaimsLimit: Money?) -> OwnerNotice {
        let facts = DecisionFacts(invoice: invoice, client: client, stage: stage, daysOverdue: daysOverdue,
                                  amountDue: amountDue, history: history, smallClaimsLimit: smallClaimsLimit)
        let number = invoice.number
        var text = NoticeText()
        text.paragraph(facts.summary.plain)
        text.blank()
        text.field("Client:", "\(client.name) (client \(client.id))")
        for address in client.emails { text.field("", address) }
        text.field("Invoice:", "\(number) of \(invoice.issueDate), due \(invoice.dueDate)")
        text.field("Amount:", "\(invoice.amount)")
        text.field("Fees:", "\(facts.fees)")
        text.field("Paid so far:", "\(invoice.paid)")
        text.field("Amount due:", "\(amountDue)")
        text.field("Days overdue:", "\(daysOverdue)")
        text.blank()
        text.paragraph("Reminder history:")
        if history.isEmpty {
            text.paragraph("(none: no reminder was sent for this invoice)", indent: "  ")
        }
        for dispatch in history {
            text.paragraph("\(dispatch.localDate)  \(dispatch.stage)  \(dispatch.state.inWords)", indent: "  ", hanging: "      ")
            if !dispatch.recipients.isEmpty {
                text.paragraph("to: \(dispatch.recipients.joined(separator: ", "))", indent: "      ", hanging: "          ")
            }
            if let id = dispatch.messageID { text.paragraph("Message-ID: \(id)", indent: "      ", hanging: "          ") }
            if let reply = dispatch.lastReply { text.paragraph("server: \(reply)", indent: "      ", hanging: "          ") }
        }
        text.blank()
        text.paragraph("Your options:")
        for (index, option) in facts.options.enumerated() {
            text.paragraph("\(index + 1). \(option.text.plain)", indent: "  ", hanging: "     ")
            if let command = option.command { text.command(command) }
        }
        text.blank()
        text.paragraph("If the client pays meanwhile, record it with:")
        text.command(facts.payCommand)
        let subject = "Decision needed: invoice \(number) (\(client.name)), \(amountDue) unpaid, \(daysOverdue) days overdue"
        return OwnerNotice(kind: .decision, invoice: number, stage: stage, subject: subject, body: text.text,
                           html: DecisionHTML.render(facts, title: subject))
    }

    /// The notice that a reminder could not be delivered and will not be tried again.
    public static func deliveryFailed(dispatch: Dispatch, clientName: String, attempts: Int, reply: String,
                                      permanent: Bool) -> OwnerNotice {
        let number = dispatch.invoiceNumber
        var text = NoticeText()
        text.paragraph("The \"\(dispatch.stage)\" message for invoice \(number) (\(clientName)) was not delivered, "
            + (permanent
                ? "and overdue will not try again: the mail server refused it permanently."
                : "and overdue has stopped trying: it was still failing after the give_up_after period."))
        text.blank()
        text.field("Recipients:", dispatch.recipients.isEmpty ? "(none)" : dispatch.recipients.joined(separator: ", "))
        text.field("Queued on:", "\(dispatch.localDate) (\(formatTimestamp(dispatch.queuedAt)))")
        text.field("Attempts:", "\(attempts)")
        text.field("Last reply:", reply)
        text.blank()
        text.paragraph("Check the client's address and the mail server, then look at the invoice:")
        text.command("overdue invoice show \(shellQuoted(number))")
        text.paragraph("overdue continues with the invoice's next stage when it is due.")
        let subject = "Not delivered: invoice \(number), stage \(dispatch.stage)"
        return OwnerNotice(kind: .deliveryFailed, invoice: number, stage: dispatch.stage, subject: subject, body: text.text)
    }

    /// The word as a POSIX shell would read it back: bare when it is plainly safe, else in single quotes.
    public static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:+@%=,".unicodeScalars)
        if !word.isEmpty, !word.hasPrefix("-"), word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What the decision notice states, worked out once for its text and its HTML part.
struct DecisionFacts {
    struct Option {
        var text: Prose
        /// The exact command that carries it out, if one does.
        var command: String?
    }

    var invoice: Invoice
    var client: Client
    var stage: String
    var daysOverdue: Int
    var amountDue: Money
    /// What the amount due holds beyond `amount - paid`: the late fees.
    var fees: Money
    var history: [Dispatch]
    var summary: Prose
    var options: [Option]
    var payCommand: String

    init(invoice: Invoice, client: Client, stage: String, daysOverdue: Int, amountDue: Money, history: [Dispatch],
         smallClaimsLimit: Money?) {
        self.invoice = invoice
        self.client = client
        self.stage = stage
        self.daysOverdue = daysOverdue
        self.amountDue = amountDue
        self.history = history
        fees = Money(minorUnits: amountDue.minorUnits &- invoice.amount.minorUnits &+ invoice.paid.minorUnits,
                     currency: amountDue.currency)
        summary = "Invoice \(unbroken: invoice.number) for \(client.name) (client \(unbroken: client.id)) is "
            + "\(unbroken: "\(daysOverdue) days") overdue and has reached the \"\(unbroken: stage)\" stage. overdue has "
            + "marked it escalated and sends the client no more reminders for it; what happens next is your decision."
        let number = OwnerNotices.shellQuoted(invoice.number)
        var options = [Option(text: "Hand it to a collections agency. The audit trail is your evidence:",
                              command: "overdue audit --invoice \(number) --format csv")]
        // A court expects the letter before action first; it goes into the evidence packet.
        let demand: Prose = " Send the client the letter before action first (the formal demand: the full amount, 30 days to "
            + "pay or reply; look at it with --preview):"
        if let limit = smallClaimsLimit, limit.currency == invoice.currency, amountDue.minorUnits <= limit.minorUnits {
            let court: Prose = "Take it to small claims court: \(unbroken: amountDue) is within your limit of \(unbroken: limit)."
            options.append(Option(text: court + demand, command: "overdue invoice demand \(number) --send"))
        } else {
            let why: Prose = smallClaimsLimit.map { limit in limit.currency == invoice.currency
                ? "\(unbroken: amountDue) is above your small claims limit of \(unbroken: limit)"
                : "your small claims limit is in \(unbroken: limit.currency.code), not \(unbroken: invoice.currency.code)"
            } ?? "no small_claims_limit is configured"
            let court: Prose = "Take legal action (" + why + ", so not small claims court)."
            options.append(Option(text: court + demand,
                                  command: "overdue invoice demand \(number) --send"))
        }
        options.append(Option(text: "Collect the evidence for an agency or a court, signed and checkable offline:",
                              command: "overdue evidence \(number)"))
        options.append(Option(text: "Write it off and never work with this client again:",
                              command: "overdue invoice write-off \(number) --block-client"))
        self.options = options
        payCommand = "overdue invoice pay \(number) AMOUNT"
    }
}

/// Plain-text lines of a notice: prose wrapped at 72 columns, commands kept whole.
struct NoticeText {
    private var lines: [String] = []
    /// Labels of `field` lines are padded to this width, so their values line up.
    static let labelWidth = 14
    static let commandIndent = "       "

    var text: String { lines.joined(separator: "\n") + "\n" }

    mutating func blank() { lines.append("") }

    mutating func paragraph(_ prose: String, indent: String = "", hanging: String? = nil) {
        lines += WordWrap.lines(prose, indent: indent, hangingIndent: hanging)
    }

    /// `Label:       value`, the value continuing under itself when it wraps.
    mutating func field(_ label: String, _ value: String) {
        let padded = label.padding(toLength: max(NoticeText.labelWidth, label.count + 1), withPad: " ", startingAt: 0)
        lines += WordWrap.lines(value, indent: padded, hangingIndent: String(repeating: " ", count: padded.count))
    }

    /// A shell command on a line of its own, never broken: a line break would end the command.
    mutating func command(_ command: String) { lines.append(NoticeText.commandIndent + command) }
}

/// A sentence of a notice in both forms: plain text, and HTML in which every value is escaped
/// and the values marked `unbroken:` (amounts, dates, invoice numbers) never break across lines
/// on a narrow screen (browsers otherwise break "INV-2026-0103" after a hyphen).
struct Prose: ExpressibleByStringInterpolation {
    var plain: String
    var html: String

    init(stringLiteral text: String) {
        plain = text
        html = htmlEscaped(text)
    }

    init(stringInterpolation: Interpolation) {
        plain = stringInterpolation.plain
        html = stringInterpolation.html
    }

    static func + (lhs: Prose, rhs: Prose) -> Prose {
        var joined = lhs
        joined.plain += rhs.plain
        joined.html += rhs.html
        return joined
    }

    struct Interpolation: StringInterpolationProtocol {
        var plain = ""
        var html = ""

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ text: String) {
            plain += text
            html += htmlEscaped(text)
        }

        mutating func appendInterpolation(_ value: some CustomStringConvertible) { appendLiteral(value.description) }

        mutating func appendInterpolation(unbroken value: some CustomStringConvertible) {
            plain += value.description
            html += Prose.unbroken(value.description)
        }
    }

    /// Escaped text that a narrow screen may not break.
    static func unbroken(_ text: String) -> String {
        "<span style=\"white-space:nowrap;\">\(htmlEscaped(text))</span>"
    }
}
