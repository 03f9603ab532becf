import Foundation
import OverdueCore
import XCTest

/// `AuditTrailCheck`, the one implementation of `verifyAudit` both stores run over their rows.
final class AuditTrailCheckTests: XCTestCase {
    private func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for seq in 1...count {
            var entry = AuditEntry(seq: Int64(seq), at: Date(timeIntervalSince1970: 1_770_000_000 + Double(seq)), asOf: nil,
                                   event: "invoice.held", invoice: "INV-\(seq)", client: "acme", stage: nil,
                                   detailsJSON: AuditChain.detailsJSON([("reason", .string("r\(seq)"))]),
                                   prevHash: entries.last?.hash ?? AuditChain.genesis, hash: "")
            entry.hash = AuditChain.hash(of: entry)
            entries.append(entry)
        }
        return entries
    }

    private func check(_ entries: [AuditEntry], head: String?) -> (seq: Int64, problem: String)? {
        var check = AuditTrailCheck()
        for entry in entries {
            if let problem = check.add(entry) { return problem }
        }
        return check.finish(head: head)
    }

    func testAnIntactTrailThatReachesItsRecordedHeadHasNoProblem() {
        let entries = chain(3)
        XCTAssertNil(check(entries, head: "3 \(entries[2].hash)"))
        XCTAssertNil(check(entries, head: nil), "a ledger from before the head was recorded")
        XCTAssertNil(check([], head: nil))
    }

    func testEntriesCutOffTheEndAreFoundAgainstTheHead() {
        let entries = chain(5)
        let problem = check(Array(entries.prefix(3)), head: "5 \(entries[4].hash)")
        XCTAssertEqual(problem?.seq, 4)
        XCTAssertEqual(problem?.problem, "entries 4...5 are missing from the end of the trail")
        XCTAssertEqual(check([], head: "2 x")?.problem, "entries 1...2 are missing from the end of the trail")
    }

    func testALastEntryReplacedWholeIsFoundByTheHeadsHash() {
        var entries = chain(2)
        entries[1].detailsJSON = #"{"reason":"forged"}"#
        entries[1].hash = AuditChain.hash(of: entries[1])
        let problem = check(entries, head: "2 \(chain(2)[1].hash)")
        XCTAssertEqual(problem?.seq, 2)
        XCTAssertEqual(problem?.problem, "hash does not match the recorded head of the trail")
    }

    func testTheFirstBrokenLinkIsReportedWithItsSeq() {
        var entries = chain(4)
        entries[2].detailsJSON = #"{"reason":"edited"}"#
        XCTAssertEqual(check(entries, head: "4 \(entries[3].hash)")?.seq, 3)
    }
}
