import Foundation

/// What the variables of one reminder are computed from: the invoice, the stage, the amount the
/// message states and the facts of the ladder around it, as of the message's local date.
struct ReminderFacts {
    var config: Config
    var context: InvoiceContext
    var stage: Stage
    var amountDue: Money
    var daysOverdue: Int
    /// The local date the message is about: `due_date + days_overdue`, the date of its dispatch.
    var date: LocalDate
    var format: LocaleFormat
    /// Earlier emails of this invoice that went to the client, oldest first.
    var earlier: [EarlierReminder]
    /// The element of `reminders` being filled in.
    var reminder: EarlierReminder?
    /// Interest and compensation as of `date`; nil when `[interest]` is not configured.
    var claim: Result<InterestClaim, InterestError>?

    var invoice: Invoice { context.invoice }

    /// The hand-off (`escalate` or `write-off`) stage later in the ladder, if there is one: the
    /// first, since the ladder stops at a hand-off.
    var handOff: Stage? {
        config.stages.first { $0.days > stage.days && $0.action != .email }
    }

    /// The first date the hand-off can happen, as the planner will reach it (`stepsAhead`): its
    /// `days`, and `final_notice_days` after the last email before it (this one, or a later
    /// email stage's).
    var handOffDate: LocalDate? {
        stepsAhead.first { $0.action != .email }?.date
    }

    /// The last day to pay before the ladder's next step can happen: the day before the planner
    /// would first act again (`stepsAhead`), never before this message's date. Nil at the ladder's end.
    var payBy: LocalDate? {
        stepsAhead.first.map { max($0.date.adding(days: -1), date) }
    }

    /// The ladder after this message, walked by the planner itself (`EscalationPlanner.nextAction`,
    /// the rule `plan` and `status` follow) as if nothing else changes: this message sent on
    /// `date`, each later email sent on the first day the planner allows it, up to the first
    /// hand-off. Each step is the local date it can first happen and what it does.
    var stepsAhead: [(date: LocalDate, action: PlanLine.Action)] {
        let planner = EscalationPlanner(config: config)
        var ahead = context
        // The message goes out, so the invoice is open and nothing holds it.
        ahead.invoice.status = .open
        ahead.invoice.onHold = false
        ahead.client.onHold = false
        ahead.client.blocked = false
        func sent(_ stage: String, on day: LocalDate) -> Dispatch {
            Dispatch(id: 0, invoiceNumber: invoice.number, stage: stage, action: .email, localDate: day,
                     queuedAt: Date(timeIntervalSince1970: 0), state: .sent)
        }
        ahead.dispatches = Array(context.dispatches.prefix { $0.stage != stage.name }) + [sent(stage.name, on: date)]
        var from = date.instant(at: LocalTime(secondsSinceMidnight: 0), in: planner.timeZone)
        var steps: [(date: LocalDate, action: PlanLine.Action)] = []
        // Each step dispatches a stage higher up the ladder, so there are at most as many as stages.
        for _ in planner.stages.indices {
            guard let (at, line) = planner.nextAction(ahead, from: from) else { break }
            let day = LocalDateTime(at, in: planner.timeZone).date
            steps.append((day, line.action))
            guard line.action == .email, let next = line.stage else { break }
            ahead.dispatches.append(sent(next, on: day))
            from = at
        }
        return steps
    }
}

/// One earlier email of the invoice to the client, as `reminders` lists it.
struct EarlierReminder {
    var stage: String
    var date: LocalDate
    var subject: String
}

/// One variable of the reminder templates: its name and how its value is found.
struct TemplateField: Sendable {
    enum Kind: Sendable {
        /// Text; nil leaves the variable out, so a section over it is skipped.
        case text(@Sendable (ReminderFacts) -> String?)
        case flag(@Sendable (ReminderFacts) -> Bool)
        /// An amount: the plain decimal (`1200.00`) under the name, for people as `NAME_text`.
        case money(@Sendable (ReminderFacts) -> Money?)
        /// A date: `YYYY-MM-DD` under the name, for people as `NAME_text`.
        case date(@Sendable (ReminderFacts) -> LocalDate?)
        /// Named fields (`invoice.number`); the whole group is left out when `present` is false.
        case group(present: @Sendable (ReminderFacts) -> Bool, [TemplateField])
        /// A list; each element's fields read the facts with `reminder` set to that element.
        case list(@Sendable (ReminderFacts) -> [ReminderFacts], [TemplateField])
    }

    let name: String
    let kind: Kind

    init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    static func group(_ name: String, present: @escaping @Sendable (ReminderFacts) -> Bool = { _ in true },
                      _ fields: [TemplateField]) -> TemplateField {
        TemplateField(name, .group(present: present, fields))
    }
}

/// The values a reminder template sees: one table of every variable with its value, from which
/// `TemplateVariables.known` is derived as well.
///
/// Amounts are plain decimal strings with the currency's minor digits and dates `YYYY-MM-DD`;
/// `NAME_text` beside each is the same for people in `business.locale`. Optional values
/// (`business.payment_url`, `stage.fee`, `hand_off`, `pay_by`, ...) are absent, not empty, when
/// they do not apply, so a template writes `{{#stage.fee}}…{{/stage.fee}}`.
enum ReminderValues {
    static let fields: [TemplateField] = [
        .group("business", [
            TemplateField("name", .text { $0.config.business.name }),
            TemplateField("payment_url", .text { facts in
                facts.config.business.paymentURL.map { $0.replacingOccurrences(of: "{invoice}", with: percentEncoded(facts.invoice.number)) }
            }),
            TemplateField("payment_instructions", .text { facts in
                facts.config.business.paymentInstructions.map { $0.replacingOccurrences(of: "{invoice}", with: facts.invoice.number) }
            }),
            TemplateField("signature", .text { $0.config.business.signature }),
        ]),
        .group("client", [
            TemplateField("id", .text { $0.context.clientRow.id }),
            TemplateField("name", .text { $0.context.client.name }),
        ]),
        .group("invoice", [
            TemplateField("number", .text { $0.invoice.number }),
            TemplateField("issue_date", .date { $0.invoice.issueDate }),
            TemplateField("due_date", .date { $0.invoice.dueDate }),
            TemplateField("amount", .money { $0.invoice.amount }),
            TemplateField("paid", .money { $0.invoice.paid }),
            TemplateField("fees", .money { $0.invoice.fees }),
            TemplateField("has_fees", .flag { $0.invoice.fees.minorUnits > 0 }),
            TemplateField("amount_due", .money { $0.amountDue }),
            // With [interest] only: interest and compensation as of the message's date, and
            // amount_due + interest + compensation.
            TemplateField("interest", .money { try? $0.claim?.get().interest }),
            TemplateField("compensation", .money { try? $0.claim?.get().compensation }),
            TemplateField("claim_total", .money { facts in (try? facts.claim?.get())?.total(adding: facts.amountDue) }),
            TemplateField("currency", .text { $0.invoice.currency.code }),
        ]),
        TemplateField("days_overdue", .text { String($0.daysOverdue) }),
        /// The message's own local date (the date a letter before action counts its 30 days from).
        TemplateField("date", .date { $0.date }),
        TemplateField("overdue", .flag { $0.daysOverdue > 0 }),
        TemplateField("due_today", .flag { $0.daysOverdue == 0 }),
        TemplateField("sent_late", .flag { $0.daysOverdue > $0.stage.days }),
        TemplateField("first_contact", .flag { $0.earlier.isEmpty }),
        .group("stage", [
            TemplateField("name", .text { $0.stage.name }),
            TemplateField("fee", .money { $0.stage.fee(in: $0.invoice.currency) }),
        ]),
        TemplateField("reminders", .list({ facts in facts.earlier.map { var item = facts; item.reminder = $0; return item } }, [
            TemplateField("stage", .text { $0.reminder?.stage }),
            TemplateField("date", .date { $0.reminder?.date }),
            TemplateField("subject", .text { $0.reminder?.subject }),
        ])),
        .group("hand_off", present: { $0.handOff != nil }, [
            TemplateField("days", .text { $0.handOff.map { String($0.days) } }),
            TemplateField("action", .text { $0.handOff?.action.rawValue }),
            TemplateField("escalate", .flag { $0.handOff?.action == .escalate }),
            TemplateField("write_off", .flag { $0.handOff?.action == .writeOff }),
            TemplateField("date", .date { $0.handOffDate }),
        ]),
        .group("pay_by", present: { $0.payBy != nil }, [
            TemplateField("date", .date { $0.payBy }),
        ]),
    ]

    /// The nested dictionaries, lists and booleans swift-mustache walks.
    /// With `used` (full paths, as `TemplateVariables.used(in:)` lists them), only those.
    static func values(_ facts: ReminderFacts, fields: [TemplateField] = fields, only used: Set<String>? = nil,
                       under prefix: String = "") -> [String: Any] {
        var values: [String: Any] = [:]
        for field in fields {
            let path = prefix + field.name
            func wanted(_ name: String) -> Bool { used?.contains(name) ?? true }
            switch field.kind {
            case .text(let value): if wanted(path) { values[field.name] = value(facts) }
            case .flag(let value): if wanted(path) { values[field.name] = value(facts) }
            case .money(let value):
                guard wanted(path) || wanted(path + "_text"), let money = value(facts) else { break }
                if wanted(path) { values[field.name] = money.decimalString }
                if wanted(path + "_text") { values[field.name + "_text"] = facts.format.money(money) }
            case .date(let value):
                guard wanted(path) || wanted(path + "_text"), let date = value(facts) else { break }
                if wanted(path) { values[field.name] = date.description }
                if wanted(path + "_text") { values[field.name + "_text"] = facts.format.date(date) }
            case .group(let present, let inner):
                if wanted(path), present(facts) { values[field.name] = Self.values(facts, fields: inner, only: used, under: path + ".") }
            case .list(let elements, let inner):
                if wanted(path) { values[field.name] = elements(facts).map { Self.values($0, fields: inner, only: used, under: path + ".") } }
            }
        }
        return values
    }
}
