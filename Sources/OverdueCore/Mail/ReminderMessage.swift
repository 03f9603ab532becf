import Foundation

/// The values a reminder template sees, exactly the names `TemplateVariables.known` lists.
///
/// Amounts are plain decimal strings with the currency's minor digits, dates `YYYY-MM-DD`.
/// `business.payment_url` and `stage.fee` are absent (not empty) when not configured, so a
/// template can write `{{#stage.fee}}…{{/stage.fee}}`.
public func reminderValues(config: Config, context: InvoiceContext, stage: Stage, amountDue: Money,
                           daysOverdue: Int) -> [String: Any] {
    ReminderLeaf.nested(ReminderLeaf.values(config: config, context: context, stage: stage, amountDue: amountDue,
                                            daysOverdue: daysOverdue))
}

/// The string values of a reminder by their full names, in one fixed order, so that a
/// `PlaceholderTemplate` can refer to them by index.
enum ReminderLeaf {
    static let all = [
        "business.name", "business.payment_url", "client.id", "client.name",
        "invoice.number", "invoice.issue_date", "invoice.due_date", "invoice.amount", "invoice.paid",
        "invoice.amount_due", "invoice.currency", "days_overdue", "stage.name", "stage.fee",
    ]
    static let paymentURL = 1
    static let fee = 13

    /// Only these may be absent; every other value is always there.
    static func isOptional(_ index: Int) -> Bool { index == paymentURL || index == fee }

    /// Which optional values are present, as a small number (a key for compiled templates).
    static func presence(_ leaves: [String?]) -> Int {
        (leaves[paymentURL] == nil ? 0 : 1) | (leaves[fee] == nil ? 0 : 2)
    }

    static func presentOptionals(_ presence: Int) -> Set<Int> {
        var present: Set<Int> = []
        if presence & 1 != 0 { present.insert(paymentURL) }
        if presence & 2 != 0 { present.insert(fee) }
        return present
    }

    static func values(config: Config, context: InvoiceContext, stage: Stage, amountDue: Money, daysOverdue: Int) -> [String?] {
        let invoice = context.invoice
        let paymentURL = config.business.paymentURL.map {
            $0.replacingOccurrences(of: "{invoice}", with: percentEncoded(invoice.number))
        }
        let fee = stage.fee(in: invoice.currency)?.decimalString
        return [
            config.business.name, paymentURL, context.client.id, context.client.name,
            invoice.number, invoice.issueDate.description, invoice.dueDate.description, invoice.amount.decimalString,
            invoice.paid.decimalString, amountDue.decimalString, invoice.currency.code, String(daysOverdue), stage.name, fee,
        ]
    }

    /// The nested dictionaries swift-mustache walks (`invoice` → `number`); absent values are
    /// left out, not empty.
    static func nested(_ leaves: [String?]) -> [String: Any] {
        var groups: [String: [String: Any]] = [:]
        var top: [String: Any] = [:]
        for (index, name) in all.enumerated() {
            guard let value = leaves[index] else { continue }
            if let dot = name.firstIndex(of: ".") {
                groups[String(name[..<dot]), default: [:]][String(name[name.index(after: dot)...])] = value
            } else {
                top[name] = value
            }
        }
        for (name, group) in groups { top[name] = group }
        return top
    }
}

/// RFC 3986: everything but unreserved characters as `%XX` of its UTF-8 bytes.
func percentEncoded(_ text: String) -> String {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
        if unreserved.contains(byte) { out.append(byte) } else { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]] }
    }
    return String(decoding: out, as: UTF8.self)
}

extension MessageTemplates {
    /// The complete reminder for `stage` of an invoice, as it goes on the wire.
    ///
    /// To: every address of the client, each with the client's name as display name; Cc and Bcc
    /// from the stage (`owner` meaning `business.owner`); From and Reply-To from `[business]`;
    /// `Date` is `instant` in `daemon.timezone`. Throws `OverdueError` 65 naming the invoice and
    /// field when a ledger value cannot go into a header (a control character in the client's
    /// name, an invalid address, a line break in the invoice number reaching the subject).
    public func reminder(config: Config, context: InvoiceContext, stage: Stage, amountDue: Money, daysOverdue: Int,
                         at instant: Date, messageID: String) throws(OverdueError) -> OutgoingMessage {
        let invoice = context.invoice.number
        let leaves = ReminderLeaf.values(config: config, context: context, stage: stage, amountDue: amountDue, daysOverdue: daysOverdue)
        guard let rendered = render(stage: stage.name, leaves: leaves) else {
            throw .config("stage \(stage.name): no templates loaded (is it an email stage?)")
        }
        func refuse(_ problem: String) -> OverdueError {
            .data("invoice \(invoice.escapingControls()): message refused: \(problem)")
        }
        var to: [Mailbox] = []
        for address in context.client.emails {
            do {
                to.append(try Mailbox(displayName: context.client.name, address: address))
            } catch {
                throw refuse("To (client \(context.client.id.escapingControls())): \(error)")
            }
        }
        func recipients(_ list: [Stage.Recipient]) -> [Mailbox] {
            list.map { if case .address(let box) = $0 { box } else { config.business.owner } }
        }
        let content = MailContent(
            from: config.business.from, to: to, cc: recipients(stage.cc), bcc: recipients(stage.bcc),
            replyTo: config.business.replyTo, subject: rendered.subject, date: instant,
            timeZone: config.daemon.timezone, messageID: messageID, text: rendered.text, html: rendered.html,
            references: context.threadReferences(forStage: stage.name), suppressAutoReplies: true)
        do {
            return try MessageBuilder.build(content)
        } catch {
            throw refuse(error.description)
        }
    }

    /// The reminder a plan line describes (its amount due and days overdue).
    public func reminder(config: Config, context: InvoiceContext, stage: Stage, line: PlanLine,
                         at instant: Date, messageID: String) throws(OverdueError) -> OutgoingMessage {
        try reminder(config: config, context: context, stage: stage, amountDue: line.amountDue,
                     daysOverdue: line.daysOverdue, at: instant, messageID: messageID)
    }
}

extension Mailbox {
    /// The domain part of the address, for Message-IDs.
    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }
}
