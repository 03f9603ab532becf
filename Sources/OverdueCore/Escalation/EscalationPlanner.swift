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
    /// Nil: mail may go out at any time.
    public let sendWindow: SendWindow?
    /// `daemon.timezone`: every day is counted as a calendar day here.
    public let timeZone: TimeZone
    /// Receives `escalate` notices.
    public let owner: Mailbox

    public init(stages: [Stage], minDaysBetween: Int, sendWindow: SendWindow?, timeZone: TimeZone, owner: Mailbox) {
        self.stages = stages.sorted { $0.days < $1.days }
        self.minDaysBetween = minDaysBetween
        self.sendWindow = sendWindow
        self.timeZone = timeZone
        self.owner = owner
    }

    public init(config: Config) {
        self.init(stages: config.stages, minDaysBetween: config.delivery.minDaysBetween,
                  sendWindow: config.sendWindow, timeZone: config.daemon.timezone, owner: config.business.owner)
    }

    /// What a tick at `instant` would do for this invoice. Never nil: an invoice with nothing to
    /// do gets action `.none` and the first reason that applies, in the order
    /// closed, blocked, client-hold, hold, not-due, done, min-gap, window.
    public func plan(_ context: InvoiceContext, at instant: Date) -> PlanLine {
        plan(context, atLocal: LocalDateTime(instant, in: timeZone))
    }

    /// `plan(_:at:)` for an instant already read in `timeZone`: a tick plans every invoice at the
    /// same instant, so it converts the instant once rather than once per invoice.
    public func plan(_ context: InvoiceContext, atLocal local: LocalDateTime) -> PlanLine {
        let invoice = context.invoice
        let daysOverdue = local.date.days(since: invoice.dueDate)
        let currency = invoice.currency
        let balance = invoice.balance.minorUnits

        // The ladder position: the highest configured stage ever dispatched, whatever became of it
        // (a dispatch counts from the moment it is queued). Stages since removed from the config
        // cannot be placed on the ladder, so they do not move it; they still count for the gap.
        // A stage answers to its `renamed_from` names too.
        var dispatchedFees: Int64 = 0
        var lastDispatchedDays = Int.min
        var lastDispatchDate: LocalDate?
        for dispatch in context.dispatches {
            dispatchedFees = dispatchedFees.saturatingAdding(dispatch.feeMinorUnits)
            if let stage = stages.stage(answeringTo: dispatch.stage) {
                lastDispatchedDays = max(lastDispatchedDays, stage.days)
            }
            if lastDispatchDate.map({ dispatch.localDate > $0 }) ?? true { lastDispatchDate = dispatch.localDate }
        }
        // Reached stages above the ladder position: the highest is due, the others superseded.
        var anyReached = false
        var pending: Range<Int>?
        for (index, stage) in stages.enumerated() where stage.days <= daysOverdue {
            anyReached = true
            if stage.days > lastDispatchedDays { pending = (pending?.lowerBound ?? index)..<(index + 1) }
        }
        let due = pending.map { stages[$0.upperBound - 1] }
        let superseded = pending.map { stages[$0.dropLast()].map(\.name) } ?? []
        let fee = due?.fee(in: currency)?.minorUnits ?? 0

        var line = PlanLine(
            invoice: invoice.number, client: context.client.id, stage: due?.name, action: .none,
            daysOverdue: daysOverdue,
            amountDue: Money(minorUnits: balance.saturatingAdding(dispatchedFees).saturatingAdding(fee), currency: currency),
            to: [], reason: nil, superseded: superseded, feeMinorUnits: fee)

        func skipped(_ reason: SkipReason) -> PlanLine {
            var skip = line
            skip.reason = reason
            return skip
        }

        if invoice.status != .open || balance <= 0 {
            return PlanLine(invoice: invoice.number, client: context.client.id, stage: nil, action: .none,
                            daysOverdue: daysOverdue,
                            amountDue: Money(minorUnits: balance.saturatingAdding(dispatchedFees), currency: currency),
                            to: [], reason: .closed)
        }
        if context.client.blocked { return skipped(.blocked) }
        if context.client.onHold { return skipped(.clientHold) }
        if invoice.onHold { return skipped(.hold) }
        guard let due else { return skipped(anyReached ? .done : .notDue) }
        if let last = lastDispatchDate, local.date.days(since: last) < minDaysBetween {
            return skipped(.minGap)
        }
        if let sendWindow, !sendWindow.isOpen(at: local) { return skipped(.window) }

        switch due.action {
        case .email:
            line.action = .email
            line.to = context.client.emails
        case .escalate:
            line.action = .escalate
            line.to = [owner.address]
        case .writeOff:
            line.action = .writeOff
            line.to = []
        }
        return line
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
