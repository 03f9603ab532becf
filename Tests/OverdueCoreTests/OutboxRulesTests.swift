import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// `OutboxRules`, the one implementation of the outbox transitions and their audit entries
/// that the SQLite and PostgreSQL stores (and the runtime tests' memory ledger) run.
final class OutboxRulesTests: XCTestCase {
    /// Real time with a fraction of a second, and an `--as-of` instant.
    let context = ChangeContext(at: Date(timeIntervalSince1970: 1_770_600_000.75), asOf: Date(timeIntervalSince1970: 1_770_500_000.5))

    private func item(_ invoice: String, _ stage: String, fee: Int64 = 0, superseded: [String] = []) -> NewDispatch {
        NewDispatch(invoiceNumber: invoice, stage: stage, action: .email, localDate: LocalDate("2026-02-08")!,
                    recipients: ["ap@acme.example", "cfo@acme.example"], feeMinorUnits: fee, superseded: superseded)
    }

    func testQueueingSkipsAStageAlreadyDispatchedAndAuditsEachNewOneWithItsFeeAndTheStagesItSkipped() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.addInvoice("INV-2")
        ledger.addDispatch(1, invoice: "INV-1", stage: "friendly", state: .sent)
        var audit = RecordedAudit()
        let created = try OutboxRules.queue([item("INV-1", "friendly"), item("INV-2", "final", fee: 25_00, superseded: ["friendly"])],
                                            in: ledger, audit: &audit, context: context)
        XCTAssertEqual(created.map(\.invoiceNumber), ["INV-2"])
        XCTAssertEqual(created.first?.state, .queued)
        // Whole seconds of the `--as-of` instant, as the stores keep it.
        XCTAssertEqual(created.first?.queuedAt, Date(timeIntervalSince1970: 1_770_500_000))
        XCTAssertEqual(created.first?.queuedAt, ledger.dispatches[created[0].id]?.queuedAt)
        XCTAssertEqual(audit.lines, [
            #"reminder.queued INV-2 acme final {"action":"email","local_date":"2026-02-08","recipients":["ap@acme.example","cfo@acme.example"],"fee":"25.00"}"#,
            #"reminder.superseded INV-2 acme friendly {"by":"final"}"#,
        ])
    }

    func testQueueingForAnUnknownInvoiceIsADataError() throws {
        let ledger = RulesLedger()
        var audit = RecordedAudit()
        XCTAssertThrowsError(try OutboxRules.queue([item("NOPE", "final")], in: ledger, audit: &audit, context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice NOPE: not found"))
        }
    }

    func testASentOutcomeMovesDispatchAndMessageAuditsReplyDigestAndAttemptsAndChargesTheFee() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.addDispatch(3, invoice: "INV-1", stage: "final", state: .sending, fee: 10_00, attempts: 2, messageID: "<m@x>",
                           sha256: "ab12")
        var audit = RecordedAudit()
        try OutboxRules.record(RecordedOutcome(dispatchIDs: [3], .sent(reply: "250 ok")), in: ledger, audit: &audit, context: context)
        XCTAssertEqual(ledger.dispatches[3]?.state, .sent)
        XCTAssertEqual(ledger.dispatches[3]?.lastReply, "250 ok")
        XCTAssertEqual(ledger.messageStates[103], .sent)
        XCTAssertEqual(audit.lines, [
            #"reminder.sent INV-1 acme final {"recipients":["ap@acme.example"],"message_id":"<m@x>","reply":"250 ok","sha256":"ab12","attempts":2}"#,
            #"invoice.fee_charged INV-1 acme final {"amount":"10.00","currency":"EUR","balance":"110.00"}"#,
        ])
    }

    func testEachOutcomeStoresItsStateReplyAndRetryTimeAndOnlyDoneGoesUnaudited() throws {
        let next = Date(timeIntervalSince1970: 1_770_603_600)
        let cases: [(DispatchOutcome, DispatchState, String?, Date?, String?)] = [
            (.retry(at: next, reply: "451 later"), .retrying, "451 later", next,
             #"reminder.deferred {"recipients":["ap@acme.example"],"message_id":null,"reply":"451 later","next_attempt_at":"2026-02-09T02:20:00Z","attempts":1}"#),
            (.failed(reply: "550 no"), .failed, "550 no", nil,
             #"reminder.failed {"recipients":["ap@acme.example"],"message_id":null,"reply":"550 no","attempts":1}"#),
            (.ambiguous(reply: "cut off"), .ambiguous, "cut off", nil,
             #"reminder.ambiguous {"recipients":["ap@acme.example"],"message_id":null,"reply":"cut off","attempts":1}"#),
            (.withdrawn(reason: "paid"), .withdrawn, "withdrawn: paid", nil,
             #"reminder.withdrawn {"recipients":["ap@acme.example"],"message_id":null,"reason":"paid","attempts":1}"#),
            (.done, .done, "earlier", nil, nil),
        ]
        for (outcome, state, reply, nextAttempt, entry) in cases {
            let ledger = RulesLedger()
            ledger.addInvoice("INV-1")
            ledger.addDispatch(1, invoice: "INV-1", stage: "s", state: outcome == .done ? .queued : .sending, fee: 5_00)
            ledger.dispatches[1]?.lastReply = "earlier"
            var audit = RecordedAudit()
            try OutboxRules.record(RecordedOutcome(dispatchIDs: [1], outcome), in: ledger, audit: &audit, context: context)
            XCTAssertEqual(ledger.dispatches[1]?.state, state, "\(outcome)")
            XCTAssertEqual(ledger.dispatches[1]?.lastReply, reply, "\(outcome)")
            XCTAssertEqual(ledger.dispatches[1]?.nextAttemptAt, nextAttempt, "\(outcome)")
            XCTAssertEqual(audit.records.map { "\($0.event.rawValue) \(AuditChain.detailsJSON($0.details))" }, entry.map { [$0] } ?? [],
                           "\(outcome)")
            XCTAssertTrue(ledger.fees.isEmpty, "only a sent message charges its fee")
        }
    }

    func testOnASharedLedgerADispatchAnotherSenderSettledKeepsItsStateAndGetsNoEntryNorFee() throws {
        let ledger = RulesLedger()
        ledger.sharedBySenders = true
        ledger.addInvoice("INV-1")
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .withdrawn, fee: 5_00)
        ledger.addDispatch(2, invoice: "INV-1", stage: "b", state: .sending, fee: 5_00)
        var audit = RecordedAudit()
        try OutboxRules.record(RecordedOutcome(dispatchIDs: [1, 2], .sent(reply: "250 ok")), in: ledger, audit: &audit, context: context)
        XCTAssertEqual(ledger.dispatches[1]?.state, .withdrawn)
        XCTAssertEqual(ledger.dispatches[2]?.state, .sent)
        XCTAssertEqual(audit.records.map(\.stage), ["b", "b"])
        XCTAssertEqual(ledger.fees.map(\.dispatch), [2])
    }

    func testAnOutcomeForAnUnknownDispatchIsADataError() throws {
        var audit = RecordedAudit()
        XCTAssertThrowsError(try OutboxRules.record(RecordedOutcome(dispatchIDs: [9], .failed(reply: "x")), in: RulesLedger(),
                                                    audit: &audit, context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "dispatch 9: not found"))
        }
    }

    func testInterruptedSendsBecomeAmbiguousAuditedWithTheirClient() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", client: "globex")
        ledger.addDispatch(4, invoice: "INV-1", stage: "final", state: .sending, attempts: 3, messageID: "<m@x>")
        var audit = RecordedAudit()
        let marked = try OutboxRules.markAmbiguous([ledger.dispatches[4]!], in: ledger, audit: &audit, context: context)
        XCTAssertEqual(marked.map(\.state), [.ambiguous])
        XCTAssertEqual(ledger.dispatches[4]?.state, .ambiguous)
        XCTAssertEqual(audit.lines, [#"reminder.ambiguous INV-1 globex final {"recipients":["ap@acme.example"],"message_id":"<m@x>","attempts":3}"#])
    }

    func testResolvingAsSentChargesTheFeeAndAsResendReleasesIt() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .ambiguous, fee: 5_00, messageID: "<a@x>")
        ledger.addDispatch(2, invoice: "INV-1", stage: "b", state: .ambiguous, fee: 5_00)
        ledger.dispatches[2]?.nextAttemptAt = context.at
        var audit = RecordedAudit()
        try OutboxRules.resolveAmbiguous(invoice: "INV-1", stage: "a", sent: true, in: ledger, audit: &audit, context: context)
        try OutboxRules.resolveAmbiguous(invoice: "INV-1", stage: "b", sent: false, in: ledger, audit: &audit, context: context)
        XCTAssertEqual([ledger.dispatches[1]?.state, ledger.dispatches[2]?.state], [.sent, .released])
        XCTAssertNil(ledger.dispatches[2]?.nextAttemptAt)
        XCTAssertEqual(audit.lines, [
            #"reminder.resolved INV-1 acme a {"resolution":"sent","message_id":"<a@x>"}"#,
            #"invoice.fee_charged INV-1 acme a {"amount":"5.00","currency":"EUR","balance":"105.00"}"#,
            #"reminder.resolved INV-1 acme b {"resolution":"resend","message_id":null}"#,
        ])
        XCTAssertThrowsError(try OutboxRules.resolveAmbiguous(invoice: "INV-1", stage: "a", sent: true, in: ledger, audit: &audit,
                                                              context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice INV-1 stage a: is sent, not ambiguous"))
        }
        XCTAssertThrowsError(try OutboxRules.resolveAmbiguous(invoice: "INV-1", stage: "zz", sent: true, in: ledger, audit: &audit,
                                                              context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice INV-1: no dispatch for stage zz"))
        }
    }

    func testRequeueingReleasesOnlyAFailedDispatchQueuedAfreshAsOfNow() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .failed, attempts: 5, messageID: "<a@x>")
        ledger.dispatches[1]?.lastReply = "550 mailbox unavailable"
        ledger.addDispatch(2, invoice: "INV-1", stage: "b", state: .sent)
        var audit = RecordedAudit()
        try OutboxRules.requeueFailed(invoice: "INV-1", stage: "a", in: ledger, audit: &audit, context: context)
        XCTAssertEqual(ledger.dispatches[1]?.state, .released)
        XCTAssertEqual(ledger.dispatches[1]?.queuedAt, context.asOf)
        XCTAssertEqual(audit.lines, [#"reminder.requeued INV-1 acme a {"message_id":"<a@x>","reply":"550 mailbox unavailable","attempts":5}"#])
        XCTAssertThrowsError(try OutboxRules.requeueFailed(invoice: "INV-1", stage: "b", in: ledger, audit: &audit, context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice INV-1 stage b: is sent, not failed"))
        }
        XCTAssertThrowsError(try OutboxRules.requeueFailed(invoice: "NOPE", stage: "b", in: ledger, audit: &audit, context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice NOPE: not found"))
        }
    }
}
