import Foundation
import OverdueCore
import XCTest
@testable import OverdueRuntime

/// The decision notice offers the letter before action, and says whether the amount is within
/// `small_claims_limit` either way.
final class DecisionNoticeDemandTests: XCTestCase {
    let eur = Currency(code: "EUR")!

    func decision(limit: Money?) -> OwnerNotice {
        let invoice = Invoice(number: "INV-7", clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                              amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 0, currency: eur))
        return OwnerNotices.decision(invoice: invoice, client: Client(id: "acme", name: "Acme Ltd", emails: ["ap@acme.example"]),
                                     stage: "hand-off", daysOverdue: 90, amountDue: Money(minorUnits: 120_000, currency: eur),
                                     history: [], smallClaimsLimit: limit)
    }

    func unwrapped(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func testWithinTheLimitTheNoticeOffersSmallClaimsWithTheDemandFirst() {
        let notice = decision(limit: Money(minorUnits: 1_250_000, currency: eur))
        let body = unwrapped(notice.body)
        XCTAssertTrue(body.contains("small claims court: 1200.00 EUR is within your limit of 12500.00 EUR"), body)
        XCTAssertTrue(body.contains("letter before action"), body)
        XCTAssertTrue(notice.body.contains("overdue invoice demand INV-7 --send"), notice.body)
        XCTAssertTrue(notice.body.contains("overdue evidence INV-7"), notice.body)
        XCTAssertTrue(notice.html?.contains("overdue invoice demand INV-7 --send") == true)
    }

    func testAboveTheLimitTheNoticeSaysSoAndStillOffersTheDemand() {
        let body = unwrapped(decision(limit: Money(minorUnits: 100_000, currency: eur)).body)
        XCTAssertTrue(body.contains("1200.00 EUR is above your small claims limit of 1000.00 EUR, so not small claims court"), body)
        XCTAssertFalse(body.contains("is within your limit"), body)
        XCTAssertTrue(body.contains("overdue invoice demand INV-7 --send"), body)
    }

    func testWithoutALimitInTheInvoicesCurrencyTheNoticeSaysWhy() {
        XCTAssertTrue(unwrapped(decision(limit: nil).body).contains("no small_claims_limit is configured"))
        let gbp = Money(minorUnits: 1_000_000, currency: Currency(code: "GBP")!)
        XCTAssertTrue(unwrapped(decision(limit: gbp).body).contains("your small claims limit is in GBP, not EUR"))
    }
}
