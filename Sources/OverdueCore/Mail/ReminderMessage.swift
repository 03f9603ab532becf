import Foundation

/// RFC 3986: everything but unreserved characters as `%XX` of its UTF-8 bytes.
func percentEncoded(_ text: String) -> String {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
        if unreserved.contains(byte) {
            out.append(byte)
        } else {
            out.append(UInt8(ascii: "%"))
            ByteText.appendHex(UInt64(byte), minimumCount: 2, uppercase: true, to: &out)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

extension MessageTemplates {
    /// The values the templates of `stage` see for an invoice, in a message stating `amountDue`
    /// on the day `daysOverdue` after the due date (see `ReminderValues`).
    public func values(config: Config, context: InvoiceContext, stage: Stage, amountDue: Money,
                       daysOverdue: Int) -> [String: Any] {
        values(config: config, context: context, stage: stage, amountDue: amountDue, daysOverdue: daysOverdue, only: nil)
    }

    /// `values`, limited to the variables in `only` when it is given (a message computes only
    /// what its templates read: some values walk the ladder ahead or format for people).
    func values(config: Config, context: InvoiceContext, stage: Stage, amountDue: Money,
                daysOverdue: Int, only used: Set<String>?) -> [String: Any] {
        let date = context.invoice.dueDate.adding(days: daysOverdue)
        var facts = ReminderFacts(config: config, context: context, stage: stage, amountDue: amountDue,
                                  daysOverdue: daysOverdue, date: date, format: LocaleFormat.named(config.business.locale),
                                  earlier: [])
        facts.claim = Self.claim(config: config, context: context, on: date)
        facts.earlier = earlierReminders(facts)
        return ReminderValues.values(facts, only: used)
    }

    /// Interest and compensation for the invoice on `date`; nil without `[interest]`.
    static func claim(config: Config, context: InvoiceContext, on date: LocalDate) -> Result<InterestClaim, InterestError>? {
        config.interest.map { InterestClaim.compute($0, invoice: context.invoice, payments: context.payments, asOf: date) }
    }

    /// The emails of this invoice that went to the client before this stage's own dispatch.
    /// Each one's subject is the one it was sent with; for a dispatch stored without it, its
    /// stage's subject rendered as of its date.
    private func earlierReminders(_ facts: ReminderFacts) -> [EarlierReminder] {
        let dispatches = facts.context.dispatches.prefix { $0.stage != facts.stage.name }
        return dispatches.filter { $0.action == .email && $0.state == .sent }.map { dispatch in
            var subject = dispatch.subject
            if subject == nil, let stage = facts.config.stage(named: dispatch.stage) {
                var then = facts
                then.stage = stage
                then.daysOverdue = dispatch.localDate.days(since: facts.invoice.dueDate)
                then.date = dispatch.localDate
                then.earlier = []
                then.claim = Self.claim(config: facts.config, context: facts.context, on: dispatch.localDate)
                subject = stages[stage.name]?.subject.render(ReminderValues.values(then))
            }
            return EarlierReminder(stage: dispatch.stage, date: dispatch.localDate, subject: subject ?? dispatch.stage)
        }
    }

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
        let values = values(config: config, context: context, stage: stage, amountDue: amountDue, daysOverdue: daysOverdue,
                            only: stages[stage.name]?.used)
        if stages[stage.name]?.usesClaim == true,
           case .failure(let problem)? = Self.claim(config: config, context: context, on: context.invoice.dueDate.adding(days: daysOverdue)) {
            throw .config("invoice \(invoice.escapingControls()): the \(stage.name) message states interest, which cannot be computed: \(problem)")
        }
        guard let rendered = render(stage: stage.name, values: values) else {
            throw .config("stage \(stage.name): no templates loaded (is it an email stage?)")
        }
        func refuse(_ problem: String) -> OverdueError {
            .data("invoice \(invoice.escapingControls()): message refused: \(problem)")
        }
        var to: [Mailbox] = []
        let client = context.client   // built from the stream's table on each read: once here
        for address in client.emails {
            do {
                to.append(try Mailbox(displayName: client.name, address: address))
            } catch {
                throw refuse("To (client \(client.id.escapingControls())): \(error)")
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
