import Foundation

/// When and under which `--as-of` a change is recorded, for the audit trail and dispatch dates.
public struct ChangeContext: Sendable {
    /// Real time of the change (audit entries always record it).
    public var at: Date
    /// The instant the command behaves as if it were (`--as-of`); nil when it is `at`.
    public var asOf: Date?

    public init(at: Date, asOf: Date? = nil) {
        self.at = at
        self.asOf = asOf
    }

    /// The instant the command's logic runs at.
    public var effectiveNow: Date { asOf ?? at }
}

/// One valid CSV row, ready to be upserted.
public struct ImportRow: Sendable, Equatable {
    /// 1-based physical line of the file where the record starts.
    public var line: Int
    public var number: String
    public var clientID: String
    public var clientName: String
    public var clientEmails: [String]
    public var issueDate: LocalDate
    public var dueDate: LocalDate
    public var amount: Money
    /// The `paid` column (0 when absent).
    public var paid: Money
    /// `open`, `paid` or `cancelled`.
    public var status: InvoiceStatus

    public init(line: Int, number: String, clientID: String, clientName: String, clientEmails: [String],
                issueDate: LocalDate, dueDate: LocalDate, amount: Money, paid: Money, status: InvoiceStatus) {
        self.line = line
        self.number = number
        self.clientID = clientID
        self.clientName = clientName
        self.clientEmails = clientEmails
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.amount = amount
        self.paid = paid
        self.status = status
    }
}

public struct ImportSummary: Sendable, Equatable {
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    /// One line each, for stderr (e.g. a new invoice for a blocked client).
    public var warnings: [String]

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, warnings: [String] = []) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
        self.warnings = warnings
    }
}

/// A new dispatch a tick means to make: written before anything is sent.
public struct NewDispatch: Sendable, Equatable {
    public var invoiceNumber: String
    public var stage: String
    public var action: Stage.Action
    public var localDate: LocalDate
    public var recipients: [String]
    public var feeMinorUnits: Int64
    /// Stages skipped over by this one, audited as `reminder.superseded`.
    public var superseded: [String]

    public init(invoiceNumber: String, stage: String, action: Stage.Action, localDate: LocalDate,
                recipients: [String], feeMinorUnits: Int64, superseded: [String]) {
        self.invoiceNumber = invoiceNumber
        self.stage = stage
        self.action = action
        self.localDate = localDate
        self.recipients = recipients
        self.feeMinorUnits = feeMinorUnits
        self.superseded = superseded
    }
}

/// What became of one send attempt, as the store records it.
public enum DispatchOutcome: Sendable, Equatable {
    case sent(reply: String)
    case retry(at: Date, reply: String)
    case failed(reply: String)
    /// The action needed no mail (`write-off`) or was carried out without one.
    case done
    /// The message's last byte went out and no final reply came: it may have been delivered.
    case ambiguous(reply: String)
    /// No longer wanted when its turn came: never sent.
    case withdrawn(reason: String)
}

/// One message about to be handed to the transport, and the dispatches it carries.
public struct SendingMark: Sendable, Equatable {
    public var dispatchIDs: [Int64]
    public var messageID: String
    public var recipients: [String]
    /// The message's Subject, stored with its dispatches (nil keeps what is stored).
    public var subject: String?
    /// The exact bytes about to go to the server, kept as proof of notice (nil keeps what is stored).
    public var data: [UInt8]?

    public init(dispatchIDs: [Int64], messageID: String, recipients: [String], subject: String? = nil, data: [UInt8]? = nil) {
        self.dispatchIDs = dispatchIDs
        self.messageID = messageID
        self.recipients = recipients
        self.subject = subject
        self.data = data
    }
}

/// What became of one message (or of dispatches decided without one) for the dispatches it covered.
public struct RecordedOutcome: Sendable, Equatable {
    public var dispatchIDs: [Int64]
    public var outcome: DispatchOutcome

    public init(dispatchIDs: [Int64], _ outcome: DispatchOutcome) {
        self.dispatchIDs = dispatchIDs
        self.outcome = outcome
    }
}

public struct AuditFilter: Sendable {
    public var invoice: String?
    public var client: String?
    public var event: String?
    public var since: Date?
    public var until: Date?

    public init(invoice: String? = nil, client: String? = nil, event: String? = nil, since: Date? = nil, until: Date? = nil) {
        self.invoice = invoice
        self.client = client
        self.event = event
        self.since = since
        self.until = until
    }

    /// How a store matches `event`: an exact name (`exact`), or a family by prefix (`family`):
    /// `reminder` and `reminder.*` both match every `reminder.` event.
    public static func eventMatch(_ event: String?) -> (exact: String?, family: String?) {
        guard let event else { return (nil, nil) }
        if event.hasSuffix(".*") { return (nil, String(event.dropLast())) }
        if !event.contains(".") { return (event, event + ".") }
        return (event, nil)
    }
}

/// The ledger: clients, invoices, payments, holds, dispatches and the audit trail, as one
/// store. Each part is its own protocol, named for who calls it, so a caller takes only what it
/// uses (the tick an `Outbox`, `overdue status` a `DaemonState`...) and a test double or a
/// second store implements only what its callers need.
///
/// Every mutating method is one transaction that also appends its audit entries, so a change
/// and its record are never apart. Methods throw `OverdueError` (65 for a bad invoice state
/// or unknown number/id, 74 for database failures).
public typealias LedgerStore = LedgerCommands & ListeningStore & SentMessageStore & Outbox & PlanningSource & AuditLog & DaemonState
    & InboxStore

/// Everything a tick reads and writes: what it plans from, the dispatches it queues and
/// delivers, the audit trail and the daemon state it leaves for `overdue status`.
public typealias TickLedger = Outbox & PlanningSource & AuditLog & DaemonState

/// The owner's commands on the ledger (`import`, `invoice ...`, `client ...`).
public protocol LedgerCommands: AnyObject {
    // MARK: Import and invoices
    /// Upserts all rows in one transaction: new invoices (and clients) inserted, changed ones
    /// updated (audited with the changed fields), identical ones left alone.
    func importInvoices(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary
    /// `import --dry-run`: the summary and warnings `importInvoices` would give, nothing written.
    func previewImport(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary
    /// `importInvoices` from a stream (`overdue import`): the file's clients, from
    /// `CSVImport.check`, then its `rowCount` checked rows pulled one at a time.
    func importInvoices(clients: [ImportClient], rowCount: Int, source: String, context: ChangeContext,
                        rows next: () throws -> ImportRow?) throws -> ImportSummary
    /// `previewImport` from a stream, as the streaming `importInvoices`.
    func previewImport(clients: [ImportClient], source: String, context: ChangeContext,
                       rows next: () throws -> ImportRow?) throws -> ImportSummary
    func addInvoice(_ invoice: Invoice, client: Client, context: ChangeContext) throws -> ImportSummary
    func invoice(_ number: String) throws -> Invoice?
    /// All invoices, ordered by number (byte order); `status` nil means every status.
    func invoices(status: InvoiceStatus?, clientID: String?) throws -> [Invoice]
    /// Adds a payment; returns the invoice after it. Fully paid invoices become `paid`.
    func recordPayment(invoice: String, amount: Money, on date: LocalDate, context: ChangeContext) throws -> Invoice
    /// The payments recorded for an invoice, oldest first (for `invoice show`).
    func payments(invoice: String) throws -> [Payment]
    /// The fees charged to an invoice (each when its stage's message was sent), waived or not,
    /// oldest first; `Invoice.fees` is the sum of the unwaived ones.
    func fees(invoice: String) throws -> [ChargedFee]
    /// Waives every unwaived fee of an invoice (audited); returns the amount and the invoice after.
    func waiveFees(invoice: String, reason: String?, context: ChangeContext) throws -> (waived: Money, invoice: Invoice)
    func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, context: ChangeContext) throws

    // MARK: Clients
    func client(_ id: String) throws -> Client?
    func clients() throws -> [Client]
    func setClientHold(_ id: String, onHold: Bool, reason: String?, context: ChangeContext) throws
    func setClientBlocked(_ id: String, blocked: Bool, reason: String?, context: ChangeContext) throws

    // MARK: Settling dispatches
    /// The owner settles an ambiguous dispatch: `sent` records it delivered; otherwise it is
    /// `released` and goes out on the next tick.
    func resolveAmbiguous(invoice: String, stage: String, sent: Bool, context: ChangeContext) throws
    /// `invoice requeue`: a `failed` dispatch is `released` to go out on the next tick (audited
    /// `reminder.requeued`). Anything but a failed dispatch is 65.
    func requeueFailed(invoice: String, stage: String, context: ChangeContext) throws
}

/// What planning reads: every invoice with its client and dispatch history.
public protocol PlanningSource: AnyObject {
    /// Calls `body` for every invoice with its client and dispatch history, in invoice number
    /// byte order, streaming (memory does not grow with the ledger).
    func forEachInvoiceContext(_ body: (InvoiceContext) throws -> Void) throws
    func invoiceContext(_ number: String) throws -> InvoiceContext?
    /// Every stage name a dispatch was ever recorded under (a config must still account for them).
    func dispatchedStageNames() throws -> Set<String>
}

/// The dispatch outbox: what a sending tick (and the daemon around it) needs.
public protocol Outbox: AnyObject {
    /// Records the dispatches in one transaction (state `queued`, audited `reminder.queued` and
    /// `reminder.superseded`). An (invoice, stage) that already has a dispatch is skipped, never
    /// duplicated. Returns the dispatches created.
    func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch]
    /// Marks the dispatches of several messages as handed to the transport (state `sending`),
    /// in one durable transaction (one disk flush for the batch, not one per message): all are
    /// `sending` before the first of them goes out. Returns the dispatch ids marked: all of
    /// them for a ledger with one sender; on a shared ledger (PostgreSQL) the marks another
    /// sender claimed first are left out, and only what is returned may be sent.
    @discardableResult
    func markSending(_ marks: [SendingMark], context: ChangeContext) throws -> [Int64]
    /// Records the outcome for the dispatches a message covered, with audit entries, durably.
    func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws
    /// `recordOutcome` for several messages in one transaction, which also puts `unsent` (marked
    /// `sending` but never handed to the transport, as for a clean stop) back exactly as they
    /// were before the mark, given as read then. The commit need not be flushed to disk before
    /// it returns: losing it to a power cut leaves those dispatches `sending`, i.e. ambiguous at
    /// the next start, never resent by themselves and never silently lost.
    func recordOutcomes(_ outcomes: [RecordedOutcome], unsent: [Dispatch], context: ChangeContext) throws
    func dispatches(in states: Set<DispatchState>) throws -> [Dispatch]
    /// A number that changes whenever another connection or process commits to the ledger (not
    /// this store's own writes); nil when the store cannot tell. Equal before and after, the
    /// ledger was changed by nobody else in between.
    func othersChangeToken() throws -> Int64?
    /// At start-up: every `sending` dispatch becomes `ambiguous` (audited). Returns them.
    func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch]
    /// What an `escalate` or `write-off` stage does to its invoice: `escalated` or `written_off`
    /// (audited with `reason`); `invoice cancel` and `write-off` use it too (`cancelled`).
    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws

    /// Takes the sender lock, held by the ledger (not by a path to it) until the store closes
    /// or the process ends: 75 when another process is sending from this ledger.
    func lockForSending() throws
    /// Throws 74 when the ledger is no longer the one on disk (file or its journal deleted or
    /// replaced while open): a sender must stop rather than record into a detached file.
    func checkStillOnDisk() throws
    /// Told of each failed attempt to record what must not be lost before it is tried again
    /// (the sender logs it).
    var onPersistenceFailure: (@Sendable (String) -> Void)? { get set }
    /// Closes the ledger, writing back what this process recorded; every exit path calls it.
    func close()
}

extension Outbox {
    /// `markSending` for one message.
    public func markSending(_ ids: [Int64], messageID: String, recipients: [String], context: ChangeContext) throws {
        try markSending([SendingMark(dispatchIDs: ids, messageID: messageID, recipients: recipients)], context: context)
    }
}

/// The hash-chained audit trail.
public protocol AuditLog: AnyObject {
    func appendAudit(_ records: [AuditRecord], context: ChangeContext) throws
    func auditEntries(_ filter: AuditFilter, _ body: (AuditEntry) throws -> Void) throws
    /// The newest entry matching `filter` (with an empty filter, the chain's head); nil when none does.
    func lastAuditEntry(_ filter: AuditFilter) throws -> AuditEntry?
    /// Nil when the whole chain is intact; otherwise the first bad entry.
    func verifyAudit() throws -> (seq: Int64, problem: String)?
}

/// What the daemon leaves for `overdue status` and the next start (`MetaKey`).
public protocol DaemonState: AnyObject {
    func meta(_ key: String) throws -> String?
    func setMeta(_ key: String, _ value: String) throws
    /// The live senders of a shared ledger (see `DaemonRecord`).
    func liveDaemons() throws -> [DaemonRecord]
}

/// A sender sharing the ledger (PostgreSQL: several daemons on several hosts), for `status`.
public struct DaemonRecord: Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int64
    public var started: Date
    /// Its last heartbeat, taken before each tick.
    public var lastTick: Date?
    /// Dispatches it marked `sending` in its last claimed batch.
    public var claimed: Int

    public init(id: String, host: String, pid: Int64, started: Date, lastTick: Date?, claimed: Int) {
        self.id = id
        self.host = host
        self.pid = pid
        self.started = started
        self.lastTick = lastTick
        self.claimed = claimed
    }
}

extension DaemonState {
    /// The live senders of a shared ledger; a single-process ledger (SQLite) lists none.
    public func liveDaemons() throws -> [DaemonRecord] { [] }
}

extension Outbox {
    /// A store that cannot tell: every read is taken as possibly changed.
    public func othersChangeToken() throws -> Int64? { nil }
}
