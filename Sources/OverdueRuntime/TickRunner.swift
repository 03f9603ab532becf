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
/// case the owner can settle in one command. Temporary failures (4xx, timeouts, refused
/// connections) are retried on `delivery.retry` (see `Backoff`) until `give_up_after`;
/// permanent ones fail at once. Either way the owner is told once.
///
/// ## Batches: one disk flush per batch, not two per message
///
/// Each durable commit costs a disk flush (about a millisecond on an SSD, far more on a
/// spinning disk or a busy VM), while a message to a nearby server takes a fraction of that, so
/// the writes are batched: a batch of composed messages is marked `sending` in one
/// synchronous=FULL transaction before the first of them goes out, the batch is sent over the
/// one connection, and the outcomes are recorded in one transaction committed with
/// synchronous=NORMAL (written to the WAL, flushed by the next batch's mark). The trade-off:
/// a crash (or a power cut before that next flush) makes every message of the batch in
/// flight `ambiguous` instead of only the one being sent: never a duplicate, never a silent
/// loss, but more for the owner to settle. The batch size bounds that: it adapts so a batch
/// takes about `batchSeconds` of sending (measured on the previous batch), at most
/// `maxBatch` messages and at least one. A fast local relay gets batches of `maxBatch`; a
/// slow remote server, where a flush is small next to a message, gets batches of one or two.
///
/// `Benchmarks/daemon_bench.sh` measures it (figures in `Benchmarks/daemon_results.md`).
///
/// A clean stop (SIGTERM) finishes the message being sent and puts the rest of its batch back
/// as it was (`queued`, `retrying`, `released`) in the same transaction as the outcomes: only a
/// crash creates ambiguous dispatches. So does a failing server (connection, TLS, certificate,
/// authentication): the attempt that met it is retried on the schedule, never given up, the
/// unsent rest waits for the next tick without an attempt counted, and the problem is logged at
/// error priority and shown by `overdue status` until a message goes through again.
///
/// What happens to each dispatch is decided by the Core lifecycle (`DeliveryDecision`,
/// `DeliveryVerdict`, `DispatchState.applying`); this class only carries it out.
public final class TickRunner {
    public let config: Config
    let store: any TickLedger
    /// Takes the files of `import.watch` into the ledger (the store itself, when it can).
    let importer: (any ListeningStore & LedgerCommands)?
    /// Reads `[inbox]` and records what it finds (nil: no inbox configured).
    let inbox: (reader: any InboxReader, store: any InboxStore, messageIDs: MessageIDGenerator)?
    let transport: any MailTransport
    let composer: any MessageComposer
    let planner: EscalationPlanner
    let clock: any WallClock
    let asOf: Date?
    let log: Logger
    /// Polled between messages: once true, the tick stops before the next send (the current
    /// one always finishes, so its outcome is recorded).
    public var shouldStop: () -> Bool = { false }

    /// - Parameters:
    ///   - clock: the real clock; audit entries record its time.
    ///   - asOf: `--as-of`: the instant every decision is made at, instead of the clock's.
    public init(config: Config, store: any TickLedger, transport: any MailTransport, composer: any MessageComposer,
                clock: any WallClock = SystemClock(), asOf: Date? = nil, log: Logger = Logger(),
                importer: (any ListeningStore & LedgerCommands)? = nil,
                inbox: (reader: any InboxReader, store: any InboxStore, messageIDs: MessageIDGenerator)? = nil) {
        self.config = config
        self.store = store
        self.importer = importer
        self.inbox = inbox
        self.transport = transport
        self.composer = composer
        self.planner = EscalationPlanner(config: config)
        self.clock = clock
        self.asOf = asOf
        self.log = log
    }

    /// The instant decisions are made at.
    var now: Date { asOf ?? clock.now() }
    var change: ChangeContext { ChangeContext(at: clock.now(), asOf: asOf) }

    /// Called when a process that sends starts, before each tick and before each batch claim: a
    /// dispatch still `sending` whose sender is gone was interrupted by a crash and becomes
    /// `ambiguous` (never resent by itself).
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
    public static func preview(config: Config, store: any Outbox & PlanningSource, at instant: Date) throws -> TickPreview {
        let planner = EscalationPlanner(config: config)
        let (lines, heldByWindow) = try plannedLines(planner, store: store, at: instant)
        let due = try dueDispatches(store: store, at: instant)
        let windowOpen = windowIsOpen(config, at: instant)
        // The window holds back every due dispatch, a write-off too (`DeliveryDecision`), as `plan` shows.
        let waiting = heldByWindow + (windowOpen ? 0 : due.count)
        return TickPreview(at: instant, newDispatches: lines, dueDispatches: due, windowOpen: windowOpen,
                           windowWait: waiting == 0 ? nil : WindowWait(count: waiting, window: config.sendWindow,
                                                                        after: instant, in: planner.timeZone))
    }

    /// Runs one tick and returns what it did. Throws only when the ledger fails (74); a failed
    /// message is an outcome, not an error.
    @discardableResult
    public func run() throws -> TickSummary {
        let instant = now
        let localDate = LocalDateTime(instant, in: config.daemon.timezone).date
        var summary = TickSummary(at: instant)
        try store.appendAudit([AuditRecord(.tickStarted, details: [("as_of", .string(formatTimestamp(instant)))])], context: change)
        // Listen before planning: payments and invoices that arrived reach the ledger first.
        if let watch = config.importWatch {
            guard let importer else { throw OverdueError.config("import.watch: this ledger cannot import files") }
            try importWatchedFolder(watch, into: importer)
        }
        // Replies and bounces too; `inbox.required` holds every send until the inbox was read.
        let mayDeliver = try readInbox() || !(config.inbox?.required ?? false)

        let (lines, heldByWindow) = try TickRunner.plannedLines(planner, store: store, at: instant)
        var waitingForWindow = heldByWindow
        summary.waiting += heldByWindow
        let items = lines.compactMap { line -> NewDispatch? in
            guard let stage = line.stage, let action = line.action.stageAction else { return nil }
            return NewDispatch(invoiceNumber: line.invoice, stage: stage, action: action, localDate: localDate,
                               recipients: line.to, feeMinorUnits: line.feeMinorUnits, superseded: line.superseded)
        }
        if !items.isEmpty, mayDeliver {
            let queued = try store.queue(items, context: change)
            summary.queued = queued.count
            for dispatch in queued {
                log.info("queued: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage) (\(dispatch.action.rawValue))")
            }
        }

        // One session for the whole tick, closed (QUIT) however the loop ends.
        defer { transport.close() }
        let due = mayDeliver ? try TickRunner.dueDispatches(store: store, at: instant) : []
        let windowOpen = TickRunner.windowIsOpen(config, at: instant)
        var next = 0
        var batchSize = DeliveryBatching.firstBatch
        // Cleared by the first message that goes through; read once, so a healthy tick writes nothing for it.
        var serverProblemOnRecord = !(try store.meta(MetaKey.serverProblem) ?? "").isEmpty
        while next < due.count {
            if shouldStop() {
                summary.leftForLater += due.count - next
                log.notice("stopping: \(due.count - next) deliveries left for the next tick")
                break
            }
            var batch = DeliveryBatch(othersToken: try store.othersChangeToken())
            while next < due.count && batch.items.count < batchSize {
                let dispatch = due[next]
                next += 1
                try prepare(dispatch, windowOpen: windowOpen, into: &batch, summary: &summary)
            }
            let sent = try send(batch, windowOpen: windowOpen, summary: &summary)
            if sent.delivered > 0, serverProblemOnRecord {
                try store.setMeta(MetaKey.serverProblem, "")
                serverProblemOnRecord = false
            }
            if let problem = sent.serverProblem {
                let rest = sent.unsent + due.count - next
                summary.leftForLater += rest
                try store.setMeta(MetaKey.serverProblem, "\(formatTimestamp(clock.now()))\t\(problem)")
                log.error("mail server problem, sending stopped for this tick: \(rest) more deliveries wait for the next tick")
                break
            }
            if sent.unsent > 0 {
                let rest = sent.unsent + due.count - next
                summary.leftForLater += rest
                log.notice("stopping: \(rest) deliveries left for the next tick")
                break
            }
            batchSize = DeliveryBatching.nextSize(sent: sent.sent, sendingSeconds: sent.sendingSeconds, current: batchSize)
        }

        waitingForWindow += summary.heldByWindow
        if waitingForWindow > 0 {
            summary.windowWait = WindowWait(count: waitingForWindow, window: config.sendWindow, after: instant,
                                            in: planner.timeZone)
        }
        try store.appendAudit([AuditRecord(.tickFinished, details: summary.auditDetails)], context: change)
        try witnessIfDue()
        try store.setMeta(MetaKey.lastTickAt, formatTimestamp(clock.now()))
        try store.setMeta(MetaKey.lastTickAsOf, formatTimestamp(instant))
        try store.setMeta(MetaKey.lastTickSummary, summary.text)
        log.info("tick finished: \(summary.text)")
        return summary
    }

    // MARK: Planning

    /// The lines with something to do, and how many more are due but held by the send window.
    private static func plannedLines(_ planner: EscalationPlanner, store: any PlanningSource,
                                     at instant: Date) throws -> (lines: [PlanLine], heldByWindow: Int) {
        var lines: [PlanLine] = []
        var heldByWindow = 0
        try store.forEachInvoiceContext { context in
            let line = planner.plan(context, at: instant)
            if line.action != .none { lines.append(line) }
            if line.reason == .window { heldByWindow += 1 }
        }
        return (lines, heldByWindow)
    }

    /// Queued and released dispatches, and retrying ones whose next attempt has come, oldest first.
    /// `ambiguous` ones are never here: only the owner can release them.
    private static func dueDispatches(store: any Outbox, at instant: Date) throws -> [Dispatch] {
        try store.dispatches(in: [.queued, .retrying, .released])
            .filter { $0.state != .retrying || ($0.nextAttemptAt ?? .distantPast) <= instant }
            .sorted { $0.id < $1.id }
    }

    private static func windowIsOpen(_ config: Config, at instant: Date) -> Bool {
        config.sendWindow?.isOpen(at: LocalDateTime(instant, in: config.daemon.timezone)) ?? true
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
