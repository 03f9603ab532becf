import Foundation
import OverdueCore
import XCTest
@testable import OverdueRuntime

final class OwnerNoticeTests: XCTestCase {
    let eur = Currency(code: "EUR")!
    var invoice: Invoice {
        Invoice(number: "INV-7", clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 20_000, currency: eur))
    }
    let client = Client(id: "acme", name: "Acme Ltd", emails: ["ap@acme.example"])
    var history: [Dispatch] {
        [Dispatch(id: 1, invoiceNumber: "INV-7", stage: "reminder-7", action: .email, localDate: LocalDate("2026-02-07")!,
                  queuedAt: Date(timeIntervalSince1970: 0), state: .sent, messageID: "<a1@janedoe.example>",
                  lastReply: "250 2.0.0 Ok: queued as ABC", recipients: ["ap@acme.example"]),
         Dispatch(id: 2, invoiceNumber: "INV-7", stage: "final-notice", action: .email, localDate: LocalDate("2026-04-01")!,
                  queuedAt: Date(timeIntervalSince1970: 0), state: .ambiguous, messageID: "<b2@janedoe.example>",
                  recipients: ["ap@acme.example", "jane@janedoe.example"], feeMinorUnits: 4000)]
    }

    func decision(limit: Money?) -> OwnerNotice {
        OwnerNotices.decision(invoice: invoice, client: client, stage: "hand-off", daysOverdue: 90,
                              amountDue: Money(minorUnits: 104_000, currency: eur), history: history, smallClaimsLimit: limit)
    }

    func testDecisionNoticeStatesAmountDaysAndEveryReminderWithDateAndMessageID() {
        let notice = decision(limit: nil)
        XCTAssertEqual(notice.kind, .decision)
        XCTAssertTrue(notice.subject.contains("INV-7"))
        XCTAssertTrue(notice.body.contains("Amount due:   1040.00 EUR"))
        XCTAssertTrue(notice.body.contains("Days overdue: 90"))
        XCTAssertTrue(notice.body.contains("2026-02-07  reminder-7  sent"))
        XCTAssertTrue(notice.body.contains("Message-ID: <a1@janedoe.example>"))
        XCTAssertTrue(notice.body.contains("2026-04-01  final-notice  outcome unknown"))
        XCTAssertTrue(notice.body.contains("Message-ID: <b2@janedoe.example>"))
        XCTAssertTrue(notice.body.contains("collections agency"))
        XCTAssertTrue(notice.body.contains("overdue invoice write-off INV-7 --block-client"))
    }

    func testSmallClaimsIsOfferedOnlyWithinTheLimitInTheSameCurrency() {
        XCTAssertTrue(decision(limit: Money(minorUnits: 104_000, currency: eur)).body.contains("small claims court"))
        XCTAssertFalse(decision(limit: Money(minorUnits: 103_999, currency: eur)).body.contains("small claims court"))
        XCTAssertFalse(decision(limit: Money(minorUnits: 10_000_000, currency: Currency(code: "USD")!)).body.contains("small claims court"))
        XCTAssertFalse(decision(limit: nil).body.contains("small claims court"))
    }

    func testCommandsQuoteInvoiceNumbersTheShellWouldSplit() {
        XCTAssertEqual(OwnerNotices.shellQuoted("INV-7"), "INV-7")
        XCTAssertEqual(OwnerNotices.shellQuoted("INV 7"), "'INV 7'")
        XCTAssertEqual(OwnerNotices.shellQuoted("it's"), "'it'\\''s'")
        XCTAssertEqual(OwnerNotices.shellQuoted("$(rm -rf)"), "'$(rm -rf)'")
    }

    func testFailureNoticeNamesRecipientsReplyAndWhetherItWasPermanent() {
        let permanent = OwnerNotices.deliveryFailed(dispatch: history[0], clientName: "Acme Ltd", attempts: 1,
                                                    reply: "550 5.1.1 no such user", permanent: true)
        XCTAssertEqual(permanent.kind, .deliveryFailed)
        XCTAssertTrue(permanent.body.contains("ap@acme.example"))
        XCTAssertTrue(permanent.body.contains("550 5.1.1 no such user"))
        XCTAssertTrue(permanent.body.contains("refused it permanently"))
        let gaveUp = OwnerNotices.deliveryFailed(dispatch: history[0], clientName: "Acme Ltd", attempts: 7,
                                                 reply: "451 try later", permanent: false)
        XCTAssertTrue(gaveUp.body.contains("give_up_after"))
        XCTAssertTrue(gaveUp.body.contains("Attempts:     7"))
    }
}
