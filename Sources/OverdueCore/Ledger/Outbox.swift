import Foundation

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
    /// A store that cannot tell: every read is taken as possibly changed.
    public func othersChangeToken() throws -> Int64? { nil }

    /// `markSending` for one message.
    public func markSending(_ ids: [Int64], messageID: String, recipients: [String], context: ChangeContext) throws {
        try markSending([SendingMark(dispatchIDs: ids, messageID: messageID, recipients: recipients)], context: context)
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
