import Foundation
import OverdueCore

/// One tick: plan every invoice, record the intended dispatches, deliver what is due.
///
/// ## Delivery semantics: at most once per (invoice, stage)
///
/// A tick first writes, in one transaction, every dispatch it means to make (`queued`); the
/// store refuses a second dispatch for the same (invoice, stage), so a stage is dispatched at
/// most once whatever happens later. Before a message's first byte goes to the server, its
/// dispatches are durably marked `sending`; after the server answers, the outcome (`sent`,
/// `retrying`, `failed`) is recorded. If the process dies between those two writes, nobody
/// knows whether the server accepted the message, so at the next start the dispatch becomes
/// `ambiguous` and is *not* resent by itself: it is shown in `overdue status` and the audit
/// trail, and the owner settles it with `overdue invoice resolve N --stage S --sent|--resend`.
///
/// We chose at-most-once over at-least-once because a duplicate dunning letter is a visible
/// mistake in front of a client who already owes money, while a missing one is a known, listed
/// case the owner can settle in one command; the window for it is only the seconds a single
/// SMTP transaction takes. Temporary failures (4xx, timeouts, refused connections) are retried
/// on `delivery.retry` (see `Backoff`) until `give_up_after`; permanent ones fail at once.
/// Either way the owner is told once.
public final class TickRunner {
    public let config: Config
    private let store: any LedgerStore
    private let transport: any MailTransport
    private let composer: any MessageComposer
    private let planner: EscalationPlanner
    private let clock: any WallClock
    private let asOf: Date?
    private let log: Logger
    /// Polled between messages: once true, the tick stops before the next send (the current
    /// one always finishes, so its outcome is recorded).
    public var shouldStop: () -> Bool = { false }

    /// - Parameters:
    ///   - clock: the real clock; audit entries record its time.
    ///   - asOf: `--as-of`: the instant every decision is made at, instead of the clock's.
    public init(config: Config, store: any LedgerStore, transport: any MailTransport, composer: any MessageComposer,
                clock: any WallClock = SystemClock(), asOf: Date? = nil, log: Logger = Logger()) {
        self.config = config
        self.store = store
        self.transport = transport
        self.composer = composer
        self.planner = EscalationPlanner(config: config)
        self.clock = clock
        self.asOf = asOf
        self.log = log
    }

    /// The instant decisions are made at.
    private var now: Date { asOf ?? clock.now() }
    private var change: ChangeContext { ChangeContext(at: clock.now(), asOf: asOf) }

    /// Called once when a process that sends starts: a dispatch still `sending` was interrupted
    /// by a crash and becomes `ambiguous` (never resent by itself).
    @discardableResult
    public func recoverInterrupted() throws -> [Dispatch] {
        let interrupted = try store.markInterruptedAsAmbiguous(context: change)
        for dispatch in interrupted {
            log.warning("ambiguous: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage) was being sent when overdue stopped; "
                + "not resent (settle with: overdue invoice resolve \(OwnerNotices.shellQuoted(dispatch.invoiceNumber)) --stage \(dispatch.stage) --sent|--resend)")
        }
        return interrupted
    }

    /// What a tick at `instant` would queue and deliver, with no side effect (`tick --dry-run`):
    /// needs neither a transport nor templates.
    public static func preview(config: Config, store: any LedgerStore, at instant: Date) throws -> TickPreview {
        let lines = try plannedLines(EscalationPlanner(config: config), store: store, at: instant)
        let due = try dueDispatches(store: store, at: instant)
        return TickPreview(at: instant, newDispatches: lines, dueDispatches: due,
                           windowOpen: windowIsOpen(config, at: instant))
    }

    /// Runs one tick and returns what it did. Throws only when the ledger fails (74); a failed
    /// message is an outcome, not an error.
    @discardableResult
    public func run() throws -> TickSummary {
        let instant = now
        let localDate = LocalDateTime(instant, in: config.daemon.timezone).date
        var summary = TickSummary(at: instant)
        try store.appendAudit([AuditRecord(.tickStarted, details: [("as_of", .string(formatTimestamp(instant)))])], context: change)

        let lines = try TickRunner.plannedLines(planner, store: store, at: instant)
        let items = lines.compactMap { line -> NewDispatch? in
            guard let stage = line.stage, let action = line.action.stageAction else { return nil }
            return NewDispatch(invoiceNumber: line.invoice, stage: stage, action: action, localDate: localDate,
                               recipients: line.to, feeMinorUnits: line.feeMinorUnits, superseded: line.superseded)
        }
        if !items.isEmpty {
            let queued = try store.queue(items, context: change)
            summary.queued = queued.count
            for dispatch in queued {
                log.info("queued: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage) (\(dispatch.action.rawValue))")
            }
        }

        // One session for the whole batch, closed (QUIT) however the loop ends.
        defer { transport.close() }
        let due = try TickRunner.dueDispatches(store: store, at: instant)
        let windowOpen = TickRunner.windowIsOpen(config, at: instant)
        for (index, dispatch) in due.enumerated() {
            if shouldStop() {
                summary.leftForLater += due.count - index
                log.notice("stopping: \(due.count - index) deliveries left for the next tick")
                break
            }
            // The send window holds back mail only; a write-off sends nothing.
            if !windowOpen && dispatch.action != .writeOff {
                summary.waiting += 1
                continue
            }
            let verdict = try deliver(dispatch, summary: &summary)
            if verdict == .serverUnreachable {
                let rest = due.count - index - 1
                summary.leftForLater += rest
                if rest > 0 { log.warning("mail server unreachable: \(rest) more deliveries wait for the next tick") }
                break
            }
        }

        try store.appendAudit([AuditRecord(.tickFinished, details: summary.auditDetails)], context: change)
        try store.setMeta(MetaKey.lastTickAt, formatTimestamp(clock.now()))
        try store.setMeta(MetaKey.lastTickAsOf, formatTimestamp(instant))
        try store.setMeta(MetaKey.lastTickSummary, summary.text)
        log.info("tick finished: \(summary.text)")
        return summary
    }

    // MARK: Planning

    private static func plannedLines(_ planner: EscalationPlanner, store: any LedgerStore, at instant: Date) throws -> [PlanLine] {
        var lines: [PlanLine] = []
        try store.forEachInvoiceContext { context in
            let line = planner.plan(context, at: instant)
            if line.action != .none { lines.append(line) }
        }
        return lines
    }

    /// Queued and released dispatches, and retrying ones whose next attempt has come, oldest first.
    /// `ambiguous` ones are never here: only the owner can release them.
    private static func dueDispatches(store: any LedgerStore, at instant: Date) throws -> [Dispatch] {
        try store.dispatches(in: [.queued, .retrying, .released])
            .filter { $0.state != .retrying || ($0.nextAttemptAt ?? .distantPast) <= instant }
            .sorted { $0.id < $1.id }
    }

    private static func windowIsOpen(_ config: Config, at instant: Date) -> Bool {
        config.sendWindow?.isOpen(at: LocalDateTime(instant, in: config.daemon.timezone)) ?? true
    }

    // MARK: Delivery

    enum Verdict { case handled, waiting, serverUnreachable }

    /// A connection-level failure that took this long (seconds) was a timeout, not a refusal.
    static let unreachableAfter = 2.0

    private func deliver(_ dispatch: Dispatch, summary: inout TickSummary) throws -> Verdict {
        guard let context = try store.invoiceContext(dispatch.invoiceNumber) else {
            try store.recordOutcome([dispatch.id], .failed(reply: "withdrawn: the invoice is no longer in the ledger"), context: change)
            summary.withdrawn += 1
            return .handled
        }
        if let reason = withdrawal(of: dispatch, context: context) {
            try store.recordOutcome([dispatch.id], .failed(reply: "withdrawn: \(reason)"), context: change)
            log.notice("withdrawn: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): \(reason)")
            summary.withdrawn += 1
            return .handled
        }
        if context.invoice.onHold || context.client.onHold {
            summary.waiting += 1
            return .waiting
        }

        let message: OutgoingMessage
        do {
            switch dispatch.action {
            case .writeOff:
                if context.invoice.status == .open {
                    try store.setInvoiceStatus(dispatch.invoiceNumber, to: .writtenOff,
                                               reason: "stage \(dispatch.stage) writes it off", context: change)
                }
                try store.recordOutcome([dispatch.id], .done, context: change)
                log.notice("written off: invoice \(dispatch.invoiceNumber) (stage \(dispatch.stage))")
                summary.done += 1
                return .handled
            case .escalate:
                if context.invoice.status == .open {
                    try store.setInvoiceStatus(dispatch.invoiceNumber, to: .escalated,
                                               reason: "stage \(dispatch.stage) hands it to the owner", context: change)
                }
                message = try composer.ownerNotice(decisionNotice(for: dispatch, context: context),
                                                   messageID: dispatch.messageID, at: now)
            case .email:
                guard let stage = config.stage(named: dispatch.stage) else {
                    throw OverdueError.config("stage \"\(dispatch.stage)\" is no longer in the config")
                }
                message = try composer.reminder(ReminderRequest(context: context, stage: stage, dispatch: dispatch),
                                                messageID: dispatch.messageID, at: now)
            }
        } catch let error as OverdueError where error.exitCode != .ioError {
            // A message that cannot be rendered will not render on retry either.
            try store.recordOutcome([dispatch.id], .failed(reply: "not rendered: \(error.message)"), context: change)
            log.error("failed: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): \(error.message)")
            summary.failed += 1
            notifyOwnerOfFailure(dispatch, context: context, attempts: dispatch.attempts, reply: error.message, permanent: true)
            return .handled
        }
        return try transmit(message, for: dispatch, context: context, summary: &summary)
    }

    /// Why a due dispatch must no longer go out, if it must not: the invoice was settled or
    /// the client blocked since it was queued. (An escalation still reaches the owner.)
    private func withdrawal(of dispatch: Dispatch, context: InvoiceContext) -> String? {
        let invoice = context.invoice
        switch dispatch.action {
        case .email:
            if invoice.status != .open { return "the invoice is \(invoice.status.rawValue)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
            if context.client.blocked { return "client \(context.client.id) is blocked" }
        case .escalate:
            if invoice.status != .open && invoice.status != .escalated { return "the invoice is \(invoice.status.rawValue)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
        case .writeOff:
            if invoice.status != .open && invoice.status != .writtenOff && invoice.status != .escalated {
                return "the invoice is \(invoice.status.rawValue)"
            }
        }
        return nil
    }

    private func transmit(_ message: OutgoingMessage, for dispatch: Dispatch, context: InvoiceContext,
                          summary: inout TickSummary) throws -> Verdict {
        let what = "invoice \(dispatch.invoiceNumber) stage \(dispatch.stage)"
        // Durable before the first byte: a crash from here on leaves `sending`, i.e. ambiguous.
        try store.markSending([dispatch.id], messageID: message.messageID, recipients: message.recipients, context: change)
        let started = DispatchTime.now()
        let result = transport.send(message)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let attempts = dispatch.attempts + 1
        switch result {
        case .delivered(let reply):
            try store.recordOutcome([dispatch.id], .sent(reply: reply), context: change)
            log.info("sent: \(what) to \(message.recipients.joined(separator: ", ")) \(message.messageID): \(reply)")
            summary.sent += 1
            return .handled
        case .permanent(_, let reply):
            try store.recordOutcome([dispatch.id], .failed(reply: reply), context: change)
            log.error("failed permanently: \(what): \(reply)")
            summary.failed += 1
            notifyOwnerOfFailure(dispatch, context: context, attempts: attempts, reply: reply, permanent: true)
            return .handled
        case .temporary(let code, let reply), .authenticationRefused(let code, let reply):
            // A refused login is the operator's to fix (password, account): retried like a
            // deferral, so reminders go out once it is fixed rather than failing en masse.
            if case .authenticationRefused = result { log.error("authentication refused by the mail server: \(reply)") }
            switch Backoff.decide(failures: attempts, failedAt: now, queuedAt: dispatch.queuedAt, policy: config.delivery) {
            case .retry(let next):
                try store.recordOutcome([dispatch.id], .retry(at: next, reply: reply), context: change)
                log.warning("deferred: \(what) (attempt \(attempts)), next attempt \(formatTimestamp(next)): \(reply)")
                summary.deferred += 1
            case .giveUp:
                try store.recordOutcome([dispatch.id], .failed(reply: reply), context: change)
                log.error("failed: \(what) still failing after \(config.delivery.giveUpAfter): \(reply)")
                summary.failed += 1
                notifyOwnerOfFailure(dispatch, context: context, attempts: attempts, reply: reply, permanent: false)
            }
            // No SMTP code and slow: the server is not answering (a timeout). Trying the rest now
            // would hold the tick for the full timeout per message; they wait for the next tick.
            // A fast refusal (connection refused) costs nothing, so every due message is tried
            // and each keeps its own place on the retry schedule.
            return code == nil && elapsed >= TickRunner.unreachableAfter ? .serverUnreachable : .handled
        }
    }

    private func decisionNotice(for dispatch: Dispatch, context: InvoiceContext) -> OwnerNotice {
        let request = ReminderRequest(context: context, stage: config.stage(named: dispatch.stage)
            ?? Stage(name: dispatch.stage, days: 0, action: .escalate, template: nil, subject: nil), dispatch: dispatch)
        return OwnerNotices.decision(invoice: context.invoice, client: context.client, stage: dispatch.stage,
                                     daysOverdue: request.daysOverdue, amountDue: request.amountDue,
                                     history: context.dispatches.filter { $0.id != dispatch.id },
                                     smallClaimsLimit: config.business.smallClaimsLimit)
    }

    /// One attempt, recorded in the audit trail either way. Failure notices are best effort:
    /// the failed dispatch itself is already on record and listed by `overdue status`.
    private func notifyOwnerOfFailure(_ dispatch: Dispatch, context: InvoiceContext, attempts: Int, reply: String, permanent: Bool) {
        guard dispatch.action != .escalate else { return }   // that notice was for the owner already
        let notice = OwnerNotices.deliveryFailed(dispatch: dispatch, clientName: context.client.name,
                                                 attempts: attempts, reply: reply, permanent: permanent)
        sendOwnerNotice(notice)
    }

    private func sendOwnerNotice(_ notice: OwnerNotice) {
        var details: [(String, JSONValue)] = [("kind", .string(notice.kind.rawValue)), ("to", .strings([config.business.owner.address])),
                                              ("subject", .string(notice.subject))]
        do {
            let message = try composer.ownerNotice(notice, messageID: nil, at: now)
            let result = transport.send(message)
            details.append(("message_id", .string(message.messageID)))
            details.append(("delivered", .bool(result.isDelivered)))
            details.append(("reply", .string(result.reply)))
            if result.isDelivered {
                log.notice("owner notified: \(notice.subject)")
            } else {
                log.error("owner notice not delivered (\(notice.subject)): \(result.reply)")
            }
        } catch {
            details.append(("delivered", .bool(false)))
            details.append(("reply", .string("\(error)")))
            log.error("owner notice not rendered (\(notice.subject)): \(error)")
        }
        do {
            try store.appendAudit([AuditRecord(.ownerNotified, invoice: notice.invoice, stage: notice.stage, details: details)],
                                  context: change)
        } catch {
            log.error("could not record the owner notice in the audit trail: \(error)")
        }
    }
}

extension DeliveryResult {
    var isDelivered: Bool {
        if case .delivered = self { return true }
        return false
    }
}

extension PlanLine.Action {
    /// The stage action a dispatch records; nil for `.none`.
    var stageAction: Stage.Action? {
        switch self {
        case .email: .email
        case .escalate: .escalate
        case .writeOff: .writeOff
        case .none: nil
        }
    }
}
