import Foundation
import OverdueCore

/// Turns a dispatch into the bytes that go on the wire. The production composer renders the
/// configured templates with the mail module's message builder; tests may use the same.
///
/// A composer decides nothing about *whether* to send; it only renders. It throws
/// `OverdueError` when a template cannot be rendered, which the tick records as a permanent
/// failure of that one dispatch.
public protocol MessageComposer: AnyObject {
    /// The client reminder for an `email` stage. `reminder.recipients` are the envelope
    /// recipients (To, Cc and Bcc). Reusing `messageID` keeps one Message-ID across retries.
    func reminder(_ request: ReminderRequest, messageID: String?, at instant: Date) throws -> OutgoingMessage
    /// A notice to `business.owner` (plain text, with an HTML part when the notice has one).
    func ownerNotice(_ notice: OwnerNotice, messageID: String?, at instant: Date) throws -> OutgoingMessage
}

/// Everything a reminder states, fixed when the dispatch was queued so that a retry days
/// later says the same as the first attempt.
public struct ReminderRequest: Sendable {
    public var context: InvoiceContext
    public var stage: Stage
    public var dispatch: Dispatch
    /// The balance (amount + fees charged − paid) plus this dispatch's fee while it is not yet
    /// charged: `Invoice.amountDue(stageFeeMinorUnits:)`, the planner's rule.
    public var amountDue: Money
    /// Days from the due date to the dispatch's local date.
    public var daysOverdue: Int

    public init(context: InvoiceContext, stage: Stage, dispatch: Dispatch, amountDue: Money, daysOverdue: Int) {
        self.context = context
        self.stage = stage
        self.dispatch = dispatch
        self.amountDue = amountDue
        self.daysOverdue = daysOverdue
    }

    /// Builds the request for `dispatch` from the invoice's current state in the ledger.
    public init(context: InvoiceContext, stage: Stage, dispatch: Dispatch) {
        self.init(context: context, stage: stage, dispatch: dispatch,
                  amountDue: context.invoice.amountDue(stageFeeMinorUnits: dispatch.unchargedFeeMinorUnits),
                  daysOverdue: dispatch.localDate.days(since: context.invoice.dueDate))
    }
}
