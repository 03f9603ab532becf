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

    func testDecisionNoticeItemisesAmountFeesAndPaidSoTheyAddUpToTheAmountDue() {
        let body = decision(limit: nil).body
        XCTAssertTrue(body.contains("Amount:       1200.00 EUR\nFees:         40.00 EUR\nPaid so far:  200.00 EUR\n"
            + "Amount due:   1040.00 EUR\n"), body)
        XCTAssertTrue(body.contains("Client:       Acme Ltd (client acme)\n              ap@acme.example\n"), body)
    }

    func testEveryProseLineIsWrappedAtSeventyTwoColumnsAndCommandsStayWhole() {
        let number = "INV-2026-00000000103"
        let longInvoice = Invoice(number: number, clientID: "mueller-handel", issueDate: LocalDate("2026-01-01")!,
                                  dueDate: LocalDate("2026-01-31")!, amount: Money(minorUnits: 120_000, currency: eur),
                                  paid: Money(minorUnits: 0, currency: eur))
        let longClient = Client(id: "mueller-handel", name: "Müller & Söhne Handelsgesellschaft mbH & Co. KG",
                                emails: ["buchhaltung@mueller-soehne-handelsgesellschaft.example", "ap@mueller.example"])
        var failed = history[0]
        failed.lastReply = "550 5.1.1 <buchhaltung@mueller-soehne-handelsgesellschaft.example>: Recipient address rejected: User unknown in virtual mailbox table"
        let notices = [
            OwnerNotices.decision(invoice: longInvoice, client: longClient, stage: "hand-off-to-the-owner", daysOverdue: 120,
                                  amountDue: Money(minorUnits: 120_000, currency: eur), history: [failed],
                                  smallClaimsLimit: Money(minorUnits: 1_250_000, currency: eur)),
            OwnerNotices.deliveryFailed(dispatch: failed, clientName: longClient.name, attempts: 1, reply: failed.lastReply!,
                                        permanent: true),
        ]
        for notice in notices {
            for line in notice.body.split(separator: "\n") where !line.hasPrefix("       overdue ") {
                XCTAssertLessThanOrEqual(WordWrap.columns(line), 72, String(line))
            }
        }
        let body = notices[0].body
        XCTAssertTrue(body.contains("\n       overdue invoice write-off \(number) --block-client\n"), body)
        XCTAssertTrue(body.contains("\n       overdue audit --invoice \(number) --format csv\n"), body)
        XCTAssertTrue(body.contains("buchhaltung@mueller-soehne-handelsgesellschaft.example"), "an address is never broken")
        XCTAssertTrue(notices[1].body.contains("\n       overdue invoice show INV-7\n"), notices[1].body)
    }

    func testStatesAreNamedInHumanWords() {
        XCTAssertEqual(InvoiceStatus.writtenOff.inWords, "written off")
        for status in InvoiceStatus.allCases { XCTAssertFalse(status.inWords.contains("_"), status.inWords) }
        for state in DispatchState.allCases { XCTAssertFalse(state.inWords.contains("_"), state.inWords) }
        XCTAssertTrue(decision(limit: nil).body.contains("marked it escalated"))
    }

    func testDecisionHTMLPutsTheClientsContactFirstAndEscapesEveryValue() throws {
        let tricky = Client(id: "acme<1>", name: "Tom & \"Jerry\" <script>", emails: ["ap@acme.example"])
        var dispatches = history
        dispatches[0].lastReply = "250 <ok> & queued"
        let notice = OwnerNotices.decision(invoice: invoice, client: tricky, stage: "hand-off", daysOverdue: 90,
                                           amountDue: Money(minorUnits: 104_000, currency: eur), history: dispatches,
                                           smallClaimsLimit: Money(minorUnits: 1_250_000, currency: eur))
        let html = try XCTUnwrap(notice.html)
        XCTAssertTrue(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("<ok>"))
        XCTAssertTrue(html.contains("Tom &amp; &quot;Jerry&quot; &lt;script&gt;"))
        XCTAssertTrue(html.contains("acme&lt;1&gt;"))
        XCTAssertTrue(html.contains("250 &lt;ok&gt; &amp; queued"))
        XCTAssertTrue(html.contains("&lt;a1@janedoe.example&gt;") && html.contains("&lt;b2@janedoe.example&gt;"))
        XCTAssertTrue(html.contains("mailto:ap@acme.example"))
        let order = ["Tom &amp;", "ap@acme.example", "1200.00 EUR", "+ 40.00 EUR", "− 200.00 EUR", "1040.00 EUR", "2026-02-07",
                     "reminder-7", "2026-04-01", "final-notice", "collections agency", "small claims court",
                     "overdue invoice write-off INV-7 --block-client"]
        let body = try XCTUnwrap(html.range(of: "<body").map { html[$0.lowerBound...] })
        let positions = try order.map { try XCTUnwrap(body.range(of: $0)?.lowerBound, $0) }
        XCTAssertEqual(positions, positions.sorted(), "contact first, then amounts, history and options")
    }

    func testSmallClaimsIsOfferedOnlyWithinTheLimitInTheSameCurrency() {
        XCTAssertTrue(decision(limit: Money(minorUnits: 104_000, currency: eur)).body.contains("Take it to small claims court"))
        XCTAssertFalse(decision(limit: Money(minorUnits: 103_999, currency: eur)).body.contains("Take it to small claims court"))
        XCTAssertFalse(decision(limit: Money(minorUnits: 10_000_000, currency: Currency(code: "USD")!)).body.contains("Take it to small claims court"))
        XCTAssertFalse(decision(limit: nil).body.contains("Take it to small claims court"))
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
