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
    /// `othersChangeToken()` taken before the first member was prepared.
    var othersToken: Int64?
    /// Whether preparing it changed an invoice (an escalation or write-off sets its status),
    /// which may change what was decided for a member prepared before.
    var changedInvoices = false
}

/// How sending a batch went, for the tick loop and the next batch's size.
struct BatchResult {
    /// Members handed to the transport.
    var sent = 0
    /// Members put back unreached (stop requested, server failing); not those put on hold meanwhile.
    var unsent = 0
    /// Members the server accepted.
    var delivered = 0
    /// The server's failure that ended the batch (and the tick), if one did.
    var serverProblem: String?
    /// Seconds spent in the transport for the `sent` members.
    var sendingSeconds = 0.0
}

extension TickRunner {
    // MARK: Preparing

    /// Carries out the lifecycle's decision for `dispatch` (`DeliveryDecision.decide`): a
    /// message composed into `batch`, an outcome without one (withdrawn, not rendered), a
    /// write-off carried out now, or nothing yet (on hold, outside the send window).
    func prepare(_ dispatch: Dispatch, windowOpen: Bool, into batch: inout DeliveryBatch, summary: inout TickSummary) throws {
        let context = try store.invoiceContext(dispatch.invoiceNumber)
        // On a shared ledger another daemon may have taken it since the due list was read:
        // it is that daemon's, and composing it here would be wasted.
        if let current = context?.dispatches.first(where: { $0.id == dispatch.id }), !current.state.isDue { return }
        let message: OutgoingMessage
        switch DeliveryDecision.decide(dispatch, context: context, windowOpen: windowOpen) {
        case .withdraw(let reason):
            batch.outcomes.append(RecordedOutcome(dispatchIDs: [dispatch.id], .withdrawn(reason: reason)))
            log.notice("withdrawn: invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): \(reason)")
            summary.withdrawn += 1
            return
        case .wait(let reason):
            summary.waiting += 1
            if reason == .window { summary.heldByWindow += 1 }
            return
        case .carryOut:
            guard let context else { return }
            if context.invoice.status == .open {
                batch.changedInvoices = true
                try store.setInvoiceStatus(dispatch.invoiceNumber, to: .writtenOff,
                                           reason: "stage \(dispatch.stage) writes it off", context: change)
            }
            try store.recordOutcome([dispatch.id], .done, context: change)
            log.notice("written off: invoice \(dispatch.invoiceNumber) (stage \(dispatch.stage))")
            summary.done += 1
            return
        case .send:
            guard let context else { return }
            do {
                switch dispatch.action {
                case .escalate:
                    if context.invoice.status == .open {
                        batch.changedInvoices = true
                        try store.setInvoiceStatus(dispatch.invoiceNumber, to: .escalated,
                                                   reason: "stage \(dispatch.stage) hands it to the owner", context: change)
                    }
                    message = try composer.ownerNotice(decisionNotice(for: dispatch, context: context),
                                                       messageID: dispatch.messageID, at: now)
                case .email, .writeOff:
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

    /// Marks the batch `sending` (one durable commit), then for each member, while no stop is
    /// requested and the server works: asks the ledger again whether it is still wanted
    /// (a `client block`, `invoice pay`, `cancel` or `hold` may have landed since the batch was
    /// prepared) and sends it, or withdraws it, or puts it back. Then records the outcomes and
    /// returns the unsent members to their earlier state (one commit), and only then tells the
    /// owner of failures: never through a server that just failed.
    func send(_ batch: DeliveryBatch, windowOpen: Bool, summary: inout TickSummary) throws -> BatchResult {
        var result = BatchResult()
        var outcomes = batch.outcomes
        var notices = batch.notices
        var putBack: [Dispatch] = []
        var items = batch.items
        if !items.isEmpty {
            // A sender that died since the tick began (shared ledger) has its claims settled now,
            // not after this tick's whole queue: failover waits at most one batch. A cheap read
            // when there are none.
            try recoverInterrupted()
            // Durable before the first byte: a crash from here on leaves the batch `sending`, i.e. ambiguous.
            let claimed = Set(try store.markSending(items.map {
                SendingMark(dispatchIDs: [$0.dispatch.id], messageID: $0.message.messageID, recipients: $0.message.recipients,
                            subject: $0.dispatch.action == .email ? $0.message.subject : nil, data: $0.message.data)
            }, context: change))
            // On a shared ledger another sender may have claimed some first: they are its to send.
            items.removeAll { !claimed.contains($0.dispatch.id) }
        }
        var next = 0
        while next < items.count {
            let item = items[next]
            if shouldStop() || result.serverProblem != nil { break }
            next += 1
            // The last look before the first byte: what a command changed meanwhile counts. When
            // nobody else has committed since the batch was prepared and preparing it changed no
            // invoice, the ledger reads as it did then, and the decision then was to send.
            let unchanged = try !batch.changedInvoices && batch.othersToken != nil && store.othersChangeToken() == batch.othersToken
            switch unchanged ? .send : DeliveryDecision.decide(item.dispatch, context: try store.invoiceContext(item.dispatch.invoiceNumber),
                                                               windowOpen: windowOpen) {
            case .withdraw(let reason):
                outcomes.append(RecordedOutcome(dispatchIDs: [item.dispatch.id], .withdrawn(reason: reason)))
                log.notice("withdrawn: invoice \(item.dispatch.invoiceNumber) stage \(item.dispatch.stage): \(reason)")
                summary.withdrawn += 1
                continue
            case .wait, .carryOut:
                putBack.append(item.dispatch)
                summary.waiting += 1
                continue
            case .send:
                break
            }
            let started = DispatchTime.now()
            let delivery = transport.send(item.message)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            result.sent += 1
            result.sendingSeconds += elapsed
            let verdict = DeliveryVerdict(delivery)
            if case .delivered = verdict { result.delivered += 1 }
            if case .serverProblem(let reply) = verdict { result.serverProblem = reply }
            let (outcome, notice) = judge(verdict, for: item, summary: &summary)
            outcomes.append(RecordedOutcome(dispatchIDs: [item.dispatch.id], outcome))
            if let notice { notices.append(notice) }
        }
        let unreached = items[next...].map(\.dispatch)
        result.unsent = unreached.count
        try store.recordOutcomes(outcomes, unsent: putBack + unreached, context: change)
        if let problem = result.serverProblem {
            for notice in notices {
                log.error("owner notice not sent, the mail server is failing (\(notice.subject)): \(problem)")
            }
        } else {
            for notice in notices { sendOwnerNotice(notice) }
        }
        return result
    }

    /// The outcome to record for one attempt, logged, and the owner notice it calls for.
    private func judge(_ verdict: DeliveryVerdict, for item: DeliveryBatch.Item,
                       summary: inout TickSummary) -> (DispatchOutcome, OwnerNotice?) {
        let dispatch = item.dispatch, message = item.message
        let what = "invoice \(dispatch.invoiceNumber) stage \(dispatch.stage)"
        let attempts = dispatch.attempts + 1
        switch verdict {
        case .delivered(let reply):
            log.info("sent: \(what) to \(message.recipients.joined(separator: ", ")) \(message.messageID): \(reply)")
            summary.sent += 1
            return (.sent(reply: reply), nil)
        case .failed(let reply):
            log.error("failed permanently: \(what): \(reply)")
            summary.failed += 1
            return (.failed(reply: reply),
                    failureNotice(dispatch, context: item.context, attempts: attempts, reply: reply, permanent: true))
        case .ambiguous(let reply):
            log.error("ambiguous: \(what) \(message.messageID): \(reply); not resent (settle with: overdue invoice resolve "
                + "\(OwnerNotices.shellQuoted(dispatch.invoiceNumber)) --stage \(dispatch.stage) --sent|--resend)")
            summary.ambiguous += 1
            return (.ambiguous(reply: reply), nil)
        case .serverProblem(let reply):
            let next = Backoff.nextAttempt(failures: attempts, failedAt: now, policy: config.delivery)
            log.error("mail server problem: \(reply); \(what) and the rest wait, next attempt \(formatTimestamp(next))")
            summary.deferred += 1
            return (.retry(at: next, reply: reply), nil)
        case .deferred(let reply):
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
    func sendOwnerNotice(_ notice: OwnerNotice) {
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
