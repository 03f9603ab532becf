import Foundation

/// Decides what a tick at one instant would do for one invoice: the spec's "Escalation rules"
/// as a pure function of the invoice, its client, its dispatch history, the ladder and the time.
///
/// No clock, store or network here: the caller supplies the instant and the history, and carries
/// out the returned line (queue a dispatch, or nothing). `plan`, `tick` and the daemon all use it,
/// so what `plan --as-of T` prints is exactly what a tick at `T` does.
public struct EscalationPlanner: Sendable {
    /// The ladder, ordered by strictly increasing `days` (as the config loader guarantees).
    public let stages: [Stage]
    public let minDaysBetween: Int
    /// `delivery.final_notice_days`: a hand-off waits this many local days after the last client email.
    public let finalNoticeDays: Int
    /// Nil: mail may go out at any time.
    public let sendWindow: SendWindow?
    /// `daemon.timezone`: every day is counted as a calendar day here.
    public let timeZone: TimeZone
    /// Receives `escalate` notices.
    public let owner: Mailbox

    public init(stages: [Stage], minDaysBetween: Int, sendWindow: SendWindow?, timeZone: TimeZone, owner: Mailbox,
                finalNoticeDays: Int = DeliveryPolicy.defaultFinalNoticeDays) {
        self.stages = stages.sorted { $0.days < $1.days }
        self.minDaysBetween = minDaysBetween
        self.finalNoticeDays = finalNoticeDays
        self.sendWindow = sendWindow
        self.timeZone = timeZone
        self.owner = owner
    }

    public init(config: Config) {
        self.init(stages: config.stages, minDaysBetween: config.delivery.minDaysBetween,
                  sendWindow: config.sendWindow, timeZone: config.daemon.timezone, owner: config.business.owner,
                  finalNoticeDays: config.delivery.finalNoticeDays)
    }

    /// What a tick at `instant` would do for this invoice. Never nil: an invoice with nothing to
    /// do gets action `.none` and the first reason that applies, in the order
    /// closed, blocked, client-hold, hold, not-due, done, notice-period, min-gap, window.
    ///
    /// Notice before a hand-off: a stage whose action is `escalate` or `write-off` is due only
    /// after the client was sent an email for this invoice (`DispatchHistory.lastClientEmail` says which
    /// dispatches count) and `finalNoticeDays` local days after the last one. Until the first
    /// email, the stage due is instead the highest reached `email` stage above the ladder
    /// position (an invoice imported 120 days late gets the final notice first), and the hand-off
    /// stage is not superseded by it.
    public func plan(_ context: InvoiceContext, at instant: Date) -> PlanLine {
        plan(context, atLocal: LocalDateTime(instant, in: timeZone))
    }

    /// `plan(_:at:)` for an instant already read in `timeZone`: a tick plans every invoice at the
    /// same instant, so it converts the instant once rather than once per invoice.
    public func plan(_ context: InvoiceContext, atLocal local: LocalDateTime) -> PlanLine {
        let invoice = context.invoice
        let client = context.clientRow
        let daysOverdue = local.date.days(since: invoice.dueDate)
        if invoice.status != .open || invoice.balance.minorUnits <= 0 {
            return PlanLine(invoice: invoice.number, client: client.id, stage: nil, action: .none,
                            daysOverdue: daysOverdue,
                            amountDue: invoice.balance,
                            to: [], reason: .closed)
        }
        let history = DispatchHistory(context.dispatches, on: stages)
        // Stages are read in place by index: a `Stage` copy retains each of its strings and lists,
        // and the planner runs once per invoice in the ledger.
        // Reached stages above the ladder position: the highest is due, the others superseded.
        var anyReached = false
        var pending: Range<Int>?
        for index in stages.indices where stages[index].days <= daysOverdue {
            anyReached = true
            if stages[index].days > history.ladderDays { pending = (pending?.lowerBound ?? index)..<(index + 1) }
        }
        var dueIndex = pending.map { $0.upperBound - 1 }
        if let pending, let index = dueIndex, stages[index].action != .email, history.lastClientEmail == nil,
           let email = pending.last(where: { stages[$0].action == .email }) {
            dueIndex = email
        }
        let superseded = pending.flatMap { range in dueIndex.map { stages[range.lowerBound..<$0].map(\.name) } } ?? []
        let fee = dueIndex.flatMap { stages[$0].fee(in: invoice.currency)?.minorUnits } ?? 0

        func line(_ action: PlanLine.Action, to: PlanLine.Recipients = .addresses([]), reason: SkipReason? = nil) -> PlanLine {
            PlanLine(invoice: invoice.number, client: client.id, stage: dueIndex.map { stages[$0].name }, action: action,
                     daysOverdue: daysOverdue, amountDue: invoice.amountDue(stageFeeMinorUnits: fee),
                     recipients: to, reason: reason, superseded: superseded, feeMinorUnits: fee)
        }

        if client.blocked { return line(.none, reason: .blocked) }
        if client.onHold { return line(.none, reason: .clientHold) }
        if invoice.onHold { return line(.none, reason: .hold) }
        guard let dueIndex else { return line(.none, reason: anyReached ? .done : .notDue) }
        let dueAction = stages[dueIndex].action
        if dueAction != .email, !history.noticeGiven(by: local.date, finalNoticeDays: finalNoticeDays) {
            return line(.none, reason: .noticePeriod)
        }
        if let last = history.lastDispatch, local.date.days(since: last) < minDaysBetween {
            return line(.none, reason: .minGap)
        }
        if let sendWindow, !sendWindow.isOpen(at: local) { return line(.none, reason: .window) }

        switch dueAction {
        case .email: return line(.email, to: .client(client))
        case .escalate: return line(.escalate, to: .addresses([owner.address]))
        case .writeOff: return line(.writeOff)
        }
    }

    /// When a tick would next act for this invoice if nothing changes meanwhile (no payment, hold
    /// or config change), and the line it would plan then: `plan` itself at `instant` when
    /// something is due now, else the line at the first later instant where the reason holding it
    /// back has lapsed (the window opens, the gap or notice period ends, the next stage is
    /// reached). Nil when nothing will become due: closed, blocked, on hold, past the last stage.
    /// `status` lists this, so its "next reminders due" are what `plan` says at that instant.
    public func nextAction(_ context: InvoiceContext, from instant: Date) -> (at: Date, line: PlanLine)? {
        let history = DispatchHistory(context.dispatches, on: stages)
        var at = instant
        // Each step moves strictly later and lifts the reason found: a stage, a gap, a notice
        // period and a window, in whatever order they come, take a handful of steps.
        for _ in 0..<12 {
            let local = LocalDateTime(at, in: timeZone)
            let line = plan(context, atLocal: local)
            if line.action != .none { return (at, line) }
            let day: LocalDate?
            switch line.reason {
            case .window?:
                guard let opening = sendWindow?.nextOpening(after: at, in: timeZone), opening > at else { return nil }
                at = opening
                continue
            case .minGap?:
                day = history.lastDispatch?.adding(days: minDaysBetween)
            case .noticePeriod?:
                day = history.lastClientEmail?.adding(days: finalNoticeDays)
            case .notDue?, .done?:
                let dueDate = context.invoice.dueDate
                day = stages.first { $0.days > history.ladderDays && dueDate.adding(days: $0.days) > local.date }
                    .map { dueDate.adding(days: $0.days) }
            default:
                return nil
            }
            guard let day, day > local.date else { return nil }
            at = day.instant(at: LocalTime(secondsSinceMidnight: 0), in: timeZone)
        }
        return nil
    }
}

/// What the planner reads from an invoice's dispatches besides fees.
struct DispatchHistory {
    /// The ladder position: the `days` of the highest configured stage ever dispatched, whatever
    /// became of it (a dispatch counts from the moment it is queued); `Int.min` when none was.
    /// Stages since removed from the config cannot be placed on the ladder, so they do not move
    /// it; they still count for the gap.
    var ladderDays = Int.min
    /// The local date of the latest dispatch of any kind (`min_days_between` counts from it).
    var lastDispatch: LocalDate?
    /// The local date of the latest email dispatched to the client for this invoice; nil when none was.
    ///
    /// "Dispatched" as the spec's escalation rules define it: a dispatch whose recorded action is
    /// `email`, from the moment a tick queued it and in whatever state it is now (queued,
    /// sending, sent, retrying, failed, ambiguous, released), dated by the local date of that
    /// tick. Its stage need not be in the current config any more. The owner's decision notice
    /// (`escalate`) and a `write-off` are not emails to the client.
    var lastClientEmail: LocalDate?

    init(_ dispatches: [Dispatch], on stages: [Stage]) {
        for dispatch in dispatches {
            if let index = stages.index(answeringTo: dispatch.stage) {
                ladderDays = max(ladderDays, stages[index].days)
            }
            if lastDispatch.map({ dispatch.localDate > $0 }) ?? true { lastDispatch = dispatch.localDate }
            if dispatch.action == .email, lastClientEmail.map({ dispatch.localDate > $0 }) ?? true {
                lastClientEmail = dispatch.localDate
            }
        }
    }

    /// Whether a hand-off may happen on `date`: the client was emailed and `finalNoticeDays`
    /// local days have passed since (`date - last email >= finalNoticeDays`).
    func noticeGiven(by date: LocalDate, finalNoticeDays: Int) -> Bool {
        guard let lastClientEmail else { return false }
        return date.days(since: lastClientEmail) >= finalNoticeDays
    }
}

extension Int64 {
    /// Sum clamped to the representable range: a balance never wraps around.
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
