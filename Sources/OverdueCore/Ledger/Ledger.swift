import Foundation

/// A client (customer) of the business, identified by the stable id from the accounting tool.
public struct Client: Hashable, Sendable {
    public var id: String
    public var name: String
    /// One or more To addresses.
    public var emails: [String]
    public var onHold: Bool
    public var holdReason: String?
    public var blocked: Bool
    public var blockReason: String?

    public init(id: String, name: String, emails: [String], onHold: Bool = false, holdReason: String? = nil,
                blocked: Bool = false, blockReason: String? = nil) {
        self.id = id
        self.name = name
        self.emails = emails
        self.onHold = onHold
        self.holdReason = holdReason
        self.blocked = blocked
        self.blockReason = blockReason
    }
}

public enum InvoiceStatus: String, Sendable, Codable, CaseIterable {
    case open, paid, cancelled, escalated
    case writtenOff = "written_off"
}

/// An invoice as the ledger holds it. `paid` is the total of the imported `paid` column and
/// every recorded payment; `fees` the late fees charged and not waived.
public struct Invoice: Hashable, Sendable {
    public var number: String
    public var clientID: String
    public var issueDate: LocalDate
    public var dueDate: LocalDate
    public var amount: Money
    public var paid: Money
    public var status: InvoiceStatus
    public var onHold: Bool
    public var holdReason: String?
    /// Late fees charged to the invoice (when their stage's message was sent) and not waived.
    public var fees: Money

    public init(number: String, clientID: String, issueDate: LocalDate, dueDate: LocalDate, amount: Money,
                paid: Money, status: InvoiceStatus = .open, onHold: Bool = false, holdReason: String? = nil,
                fees: Money? = nil) {
        self.number = number
        self.clientID = clientID
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.amount = amount
        self.paid = paid
        self.status = status
        self.onHold = onHold
        self.holdReason = holdReason
        self.fees = fees ?? Money(minorUnits: 0, currency: amount.currency)
    }

    public var currency: Currency { amount.currency }
    /// What the client owes: `amount + fees - paid`.
    public var balance: Money {
        Money(minorUnits: amount.minorUnits.saturatingAdding(fees.minorUnits).saturatingAdding(-paid.minorUnits), currency: currency)
    }
}

/// Where one dispatch (one invoice at one stage) stands. A dispatch exists from the moment a
/// tick queues it; it is never deleted, so `(invoice, stage)` is dispatched at most once.
public enum DispatchState: String, Sendable, Codable, CaseIterable {
    /// Recorded, not yet handed to the transport.
    case queued
    /// Handed to the transport; if the process dies now, the outcome is unknown.
    case sending
    case sent
    /// A temporary failure; `nextAttemptAt` says when to try again.
    case retrying
    case failed
    /// Was `sending` when the process died: not resent until the owner resolves it.
    case ambiguous
    /// Released by the owner for resending (`invoice resolve --resend`): due again.
    case released
    /// For actions that send nothing to the client (`write-off`) or whose effect is the mark.
    case done
    /// No longer wanted when its turn came (invoice settled, cancelled, client blocked): never sent.
    case withdrawn
}

/// One (invoice, stage) dispatch as stored.
public struct Dispatch: Hashable, Sendable {
    public var id: Int64
    public var invoiceNumber: String
    public var stage: String
    public var action: Stage.Action
    /// The local date (in `daemon.timezone`) of the tick that queued it; `min_days_between` counts from here.
    public var localDate: LocalDate
    public var queuedAt: Date
    public var state: DispatchState
    public var attempts: Int
    public var nextAttemptAt: Date?
    /// The message that carries it (one message may cover several dispatches).
    public var messageID: String?
    /// The last server reply (`250 2.0.0 Ok: queued as …`, `450 …`), for the audit trail.
    public var lastReply: String?
    /// Recipients the message went to.
    public var recipients: [String]
    /// The fee its message states (the stage's fee for the invoice's currency when it was
    /// queued), in the invoice's minor units (0 when none); charged to the invoice once sent.
    public var feeMinorUnits: Int64
    /// The Subject its message went out with (set when it is marked sending); nil before, and
    /// for dispatches recorded before the ledger kept it.
    public var subject: String?

    public init(id: Int64, invoiceNumber: String, stage: String, action: Stage.Action, localDate: LocalDate,
                queuedAt: Date, state: DispatchState, attempts: Int = 0, nextAttemptAt: Date? = nil,
                messageID: String? = nil, lastReply: String? = nil, recipients: [String] = [], feeMinorUnits: Int64 = 0,
                subject: String? = nil) {
        self.id = id
        self.invoiceNumber = invoiceNumber
        self.stage = stage
        self.action = action
        self.localDate = localDate
        self.queuedAt = queuedAt
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.messageID = messageID
        self.lastReply = lastReply
        self.recipients = recipients
        self.feeMinorUnits = feeMinorUnits
        self.subject = subject
    }
}

/// Everything the planner needs to know about one invoice.
public struct InvoiceContext: Sendable {
    public var invoice: Invoice
    /// The client, as a row of the table its stream read once (see `ClientTable`).
    public var clientRow: ClientRow
    /// The client in full, built from `clientRow` on each read: for one invoice at a time.
    public var client: Client {
        get { clientRow.client }
        set { clientRow = ClientRow(newValue) }
    }
    /// Every dispatch of this invoice, oldest first.
    public var dispatches: [Dispatch]
    /// The payments recorded for it, oldest first, for the interest a message states: filled by
    /// `PlanningSource.invoiceContext(_:)` (one invoice, as a message is composed), left empty by
    /// the planner's stream, which states no interest.
    public var payments: [Payment] = []

    public init(invoice: Invoice, client: ClientRow, dispatches: [Dispatch]) {
        self.invoice = invoice
        self.clientRow = client
        self.dispatches = dispatches
    }

    public init(invoice: Invoice, client: Client, dispatches: [Dispatch]) {
        self.init(invoice: invoice, client: ClientRow(client), dispatches: dispatches)
    }
}

/// One payment recorded against an invoice (`invoice pay`); the imported `paid` column is not one.
public struct Payment: Hashable, Sendable {
    public var amount: Money
    /// The date the client paid, as the owner gave it.
    public var paidOn: LocalDate
    /// When it was recorded.
    public var recordedAt: Date

    public init(amount: Money, paidOn: LocalDate, recordedAt: Date) {
        self.amount = amount
        self.paidOn = paidOn
        self.recordedAt = recordedAt
    }
}
