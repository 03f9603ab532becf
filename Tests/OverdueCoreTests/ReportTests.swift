import OverdueCore
import XCTest

final class ReportTests: XCTestCase {
    func testAgingBucketEdgesAreInclusiveDaysOverdue() {
        XCTAssertEqual([-5, 0, 1, 30, 31, 60, 61, 90, 91, 400].map { AgingReport.bucket(daysOverdue: $0) }, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    }

    func testDaysSalesOutstandingIsExactAndRoundedHalfUpToOneDecimal() {
        XCTAssertEqual(LadderSummary.daysSalesOutstanding(receivable: 118_000, sales: 173_000, days: 365), "249.0")
        XCTAssertEqual(LadderSummary.daysSalesOutstanding(receivable: 1, sales: 8, days: 1), "0.1")   // 0.125
        XCTAssertEqual(LadderSummary.daysSalesOutstanding(receivable: 1, sales: 4, days: 1), "0.3")   // 0.25 half up
        XCTAssertNil(LadderSummary.daysSalesOutstanding(receivable: 5, sales: 0, days: 365))
        XCTAssertNil(LadderSummary.daysSalesOutstanding(receivable: .max, sales: 1, days: 365))
    }

    func testAPaymentCountsForTheLastSentEmailOnOrBeforeItsDate() {
        func sent(_ id: Int64, _ stage: String, _ date: String, state: DispatchState = .sent) -> Dispatch {
            Dispatch(id: id, invoiceNumber: "INV-1", stage: stage, action: .email, localDate: LocalDate(date)!,
                     queuedAt: .init(timeIntervalSince1970: 0), state: state, recipients: [])
        }
        let history = [sent(1, "friendly", "2026-03-01"), sent(2, "reminder-7", "2026-03-08"), sent(3, "reminder-30", "2026-04-01", state: .failed)]
        XCTAssertNil(LadderSummary.stage(before: LocalDate("2026-02-28")!, in: history))
        XCTAssertEqual(LadderSummary.stage(before: LocalDate("2026-03-08")!, in: history), "reminder-7")
        XCTAssertEqual(LadderSummary.stage(before: LocalDate("2026-04-05")!, in: history), "reminder-7", "a failed email reached no one")
    }
}
