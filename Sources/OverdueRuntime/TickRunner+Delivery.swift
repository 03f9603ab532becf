import Dispatch
import Foundation
import OverdueCore

/// The messages of one durable batch (see "Batches" on `TickRunner`), composed before any of
/// them is marked, and what was decided for due dispatches that send nothing.
struct DeliveryBatch {
    struct Item {
        var dispatch: Dispatch
        var context: InvoiceContext
        var message: OutgoingMessage
    }

    var items: [Item] = []
    /// Withdrawn and unrenderable dispatches: recorded with the batch's outcomes.
    var outcomes: [RecordedOutcome] = []
    /// Failure notices for the owner, sent once the failures are on record.
    var notices: [OwnerNotice] = []
}

/// How sending a batch went, for the tick loop and the next batch's size.
struct BatchResult {
    var sent = 0
    /// Members put back unsent (stop requested, server unreachable).
    var unsent = 0
    var unreachable = false
    /// Seconds spent in the transport for the `sent` members.
    var sendingSeconds = 0.0
}

extension TickRunner {
    /// The first batch of a tick, before any send has been timed: one message.
    static let firstBatch = 1
    /// At most this many messages in one batch: a crash makes at most this many ambiguous.
    static let maxBatch = 50
    /// A batch aims to take about this long to send: against a slow server a crash then costs
    /// at most this much sending in ambiguous dispatches.
    static let batchSeconds = 0.05

    /// A connection-level failure that took this long (seconds) was a timeout, not a refusal.
    static let unreachableAfter = 2.0

    /// The size for the batch after one that went as `result`; `current` when nothing was timed.
    static func nextBatchSize(after result: BatchResult, current: Int) -> Int {
        guard result.sent > 0, result.sendingSeconds > 0 else { return current }
        let perMessage = result.sendingSeconds / Double(result.sent)
        return max(1, min(maxBatch, Int(batchSeconds / perMessage)))
    }

    // MARK: Preparing

    /// Decides what `dispatch` needs: a message composed into `batch`, an outcome without one
    /// (withdrawn, not rendered), a write-off carried out now, or nothing yet (on hold).
    func prepare(_ dispatch: Dispatch, into batch: inout DeliveryBatch, summary: inout TickSummary) throws {
        guard let context = try store.invoiceContext(dispatch.invoiceNumber) else {
            batch.outcomes.append(RecordedOutcome(dispatchIDs: [dispatch.id],
                                                  .failed(reply: "withdrawn: the invoice is no longer in the ledger")))
            summary.withdrawn += 1
            return
        }
        if let reason = withdrawal(of: dispatch, context: context) {
            batch.outcomes.append(RecordedOutcome(dispatchIDs: [dispatch.id], .failed(reply: "withdrawn: \(reason)")))
            log.notice("withdrawn: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): \(reason)")
            summary.withdrawn += 1
            return
        }
        if context.invoice.onHold || context.client.onHold {
            summary.waiting += 1
            return
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
                return
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
            batch.outcomes.append(RecordedOutcome(dispatchIDs: [dispatch.id], .failed(reply: "not rendered: \(error.message)")))
            log.error("failed: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): \(error.message)")
            summary.failed += 1
            if let notice = failureNotice(dispatch, context: context, attempts: dispatch.attempts, reply: error.message,
                                          permanent: true) {
                batch.notices.append(notice)
            }
            return
        }
        batch.items.append(DeliveryBatch.Item(dispatch: dispatch, context: context, message: message))
    }

    /// Why a due dispatch must no longer go out, if it must not: the invoice was settled or
    /// the client blocked since it was queued. (An escalation still reaches the owner.)
    private func withdrawal(of dispatch: Dispatch, context: InvoiceContext) -> String? {
        let invoice = context.invoice
        switch dispatch.action {
        case .email:
            if invoice.status != .open { return "the invoice is \(invoice.status.inWords)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
            if context.client.blocked { return "client \(context.client.id) is blocked" }
        case .escalate:
            if invoice.status != .open && invoice.status != .escalated { return "the invoice is \(invoice.status.inWords)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
        case .writeOff:
            if invoice.status != .open && invoice.status != .writtenOff && invoice.status != .escalated {
                return "the invoice is \(invoice.status.inWords)"
            }
        }
        return nil
    }

    private func decisionNotice(for dispatch: Dispatch, context: InvoiceContext) -> OwnerNotice {
        let request = ReminderRequest(context: context, stage: config.stage(named: dispatch.stage)
            ?? Stage(name: dispatch.stage, days: 0, action: .escalate, template: nil, subject: nil), dispatch: dispatch)
        return OwnerNotices.decision(invoice: context.invoice, client: context.client, stage: dispatch.stage,
                                     daysOverdue: request.daysOverdue, amountDue: request.amountDue,
                                     history: context.dispatches.filter { $0.id != dispatch.id },
                                     smallClaimsLimit: config.business.smallClaimsLimit)
    }

    // MARK: Sending

    /// Marks the batch `sending` (one durable commit), sends it member by member while no stop
    /// is requested and the server answers, then records the outcomes and returns the unsent
    /// members to their earlier state (one commit), and only then tells the owner of failures.
    func send(_ batch: DeliveryBatch, summary: inout TickSummary) throws -> BatchResult {
        var result = BatchResult()
        var outcomes = batch.outcomes
        var notices = batch.notices
        if !batch.items.isEmpty {
            // Durable before the first byte: a crash from here on leaves the batch `sending`, i.e. ambiguous.
            try store.markSending(batch.items.map {
                SendingMark(dispatchIDs: [$0.dispatch.id], messageID: $0.message.messageID, recipients: $0.message.recipients)
            }, context: change)
        }
        for item in batch.items {
            if shouldStop() { break }
            let started = DispatchTime.now()
            let delivery = transport.send(item.message)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            result.sent += 1
            result.sendingSeconds += elapsed
            let (outcome, notice) = judge(delivery, for: item, summary: &summary)
            outcomes.append(RecordedOutcome(dispatchIDs: [item.dispatch.id], outcome))
            if let notice { notices.append(notice) }
            // No SMTP code and slow: the server is not answering (a timeout). Trying the rest now
            // would hold the tick for the full timeout per message; they wait for the next tick.
            // A fast refusal (connection refused) costs nothing, so every due message is tried
            // and each keeps its own place on the retry schedule.
            if delivery.isUnanswered, elapsed >= TickRunner.unreachableAfter {
                result.unreachable = true
                break
            }
        }
        let unsent = batch.items[result.sent...].map(\.dispatch)
        result.unsent = unsent.count
        try store.recordOutcomes(outcomes, unsent: unsent, context: change)
        for notice in notices { sendOwnerNotice(notice) }
        return result
    }

    /// The outcome to record for one answered send, logged, and the owner notice it calls for.
    private func judge(_ delivery: DeliveryResult, for item: DeliveryBatch.Item,
                       summary: inout TickSummary) -> (DispatchOutcome, OwnerNotice?) {
        let dispatch = item.dispatch, message = item.message
        let what = "invoice \(dispatch.invoiceNumber) stage \(dispatch.stage)"
        let attempts = dispatch.attempts + 1
        switch delivery {
        case .delivered(let reply):
            log.info("sent: \(what) to \(message.recipients.joined(separator: ", ")) \(message.messageID): \(reply)")
            summary.sent += 1
            return (.sent(reply: reply), nil)
        case .permanent(_, let reply):
            log.error("failed permanently: \(what): \(reply)")
            summary.failed += 1
            return (.failed(reply: reply),
                    failureNotice(dispatch, context: item.context, attempts: attempts, reply: reply, permanent: true))
        case .temporary(_, let reply), .authenticationRefused(_, let reply):
            // A refused login is the operator's to fix (password, account): retried like a
            // deferral, so reminders go out once it is fixed rather than failing en masse.
            if case .authenticationRefused = delivery { log.error("authentication refused by the mail server: \(reply)") }
            switch Backoff.decide(failures: attempts, failedAt: now, queuedAt: dispatch.queuedAt, policy: config.delivery) {
            case .retry(let next):
                log.warning("deferred: \(what) (attempt \(attempts)), next attempt \(formatTimestamp(next)): \(reply)")
                summary.deferred += 1
                return (.retry(at: next, reply: reply), nil)
            case .giveUp:
                log.error("failed: \(what) still failing after \(config.delivery.giveUpAfter): \(reply)")
                summary.failed += 1
                return (.failed(reply: reply),
                        failureNotice(dispatch, context: item.context, attempts: attempts, reply: reply, permanent: false))
            }
        }
    }

    // MARK: Owner notices

    /// The notice telling the owner a dispatch failed; none for an escalation, whose message
    /// was for the owner already.
    private func failureNotice(_ dispatch: Dispatch, context: InvoiceContext, attempts: Int, reply: String,
                               permanent: Bool) -> OwnerNotice? {
        guard dispatch.action != .escalate else { return nil }
        return OwnerNotices.deliveryFailed(dispatch: dispatch, clientName: context.client.name,
                                           attempts: attempts, reply: reply, permanent: permanent)
    }

    /// One attempt, recorded in the audit trail either way. Failure notices are best effort:
    /// the failed dispatch itself is already on record and listed by `overdue status`.
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
    /// A temporary failure without an SMTP reply: refused, dropped or timed out connection.
    var isUnanswered: Bool {
        switch self {
        case .temporary(nil, _), .authenticationRefused(nil, _): true
        default: false
        }
    }
}
