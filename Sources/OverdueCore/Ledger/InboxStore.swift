import Foundation

/// What reading the inbox needs of the ledger: the facts a message is classified against, and
/// one transaction per message that records it and carries out its verdict.
///
/// Addresses marked failing by a bounce are left out of `Client.emails` by `PlanningSource`
/// (reminders go to the client's other addresses; a client with none left is held), and are
/// forgotten when the owner releases the client (`client release`) or mail comes from them.
public protocol InboxStore: AnyObject {
    /// The messages overdue sent under `messageIDs`, and the clients `addresses` belong to.
    func inboxFacts(messageIDs: [String], addresses: [String]) throws -> InboxFacts
    /// True when a message of this key was recorded before (after a UIDVALIDITY change the
    /// whole mailbox is read again; nothing is done twice).
    func inboundRecorded(_ key: String) throws -> Bool
    /// Records one message and carries out its verdict, with its audit entry, in one
    /// transaction; nil (nothing done) when the key was recorded before.
    func recordInbound(_ message: InboundRecord, context: ChangeContext) throws -> InboundEffect?
}

/// One message of the inbox and what the classifier made of it.
public struct InboundRecord: Sendable, Equatable {
    /// Its Message-ID, or for a message without one a digest of its header block.
    public var key: String
    public var uidValidity: UInt32
    public var uid: UInt32
    public var verdict: InboxVerdict
    public var from: String
    public var subject: String
    public var date: Date?
    /// The day it was written (its Date header, else when it was read) in the daemon's time zone.
    public var day: LocalDate
    public var excerpt: [String]

    public init(key: String, uidValidity: UInt32, uid: UInt32, verdict: InboxVerdict, from: String, subject: String,
                date: Date?, day: LocalDate, excerpt: [String]) {
        self.day = day
        self.key = key
        self.uidValidity = uidValidity
        self.uid = uid
        self.verdict = verdict
        self.from = from
        self.subject = subject
        self.date = date
        self.excerpt = excerpt
    }
}

/// What recording a message changed.
public struct InboundEffect: Sendable, Equatable {
    /// Invoices put on hold by a reply.
    public var heldInvoices: [String] = []
    /// A bounce left the client no good address, so the client was held.
    public var clientHeld = false
    /// The client's addresses still written to after a bounce.
    public var remainingAddresses: [String] = []

    public init(heldInvoices: [String] = [], clientHeld: Bool = false, remainingAddresses: [String] = []) {
        self.heldInvoices = heldInvoices
        self.clientHeld = clientHeld
        self.remainingAddresses = remainingAddresses
    }
}
