import Foundation
import OverdueCore
import XCTest
@testable import OverdueRuntime

/// The tick mails the audit chain's head to the owner (`[audit] witness`) and records it only
/// once the server accepted it.
final class WitnessTickTests: TickTestCase {
    func witnessed(_ ledger: MemoryLedger) throws -> [AuditWitness.Record] {
        var records: [AuditWitness.Record] = []
        try ledger.auditEntries(AuditFilter(event: AuditEvent.auditWitnessed.rawValue)) {
            if let record = AuditWitness.Record($0) { records.append(record) }
        }
        return records
    }

    func testATickWitnessesTheHeadOncePerIntervalToTheOwner() throws {
        var config = try config()
        config.auditWitness = Interval("1d")
        let ledger = memoryLedger(invoices: [])
        for time in ["2026-02-08T10:00:00Z", "2026-02-08T18:00:00Z", "2026-02-09T09:00:00Z", "2026-02-09T10:00:00Z"] {
            try runner(config, ledger: ledger, clock: FixedClock(at(time))).run()
        }
        let records = try witnessed(ledger)
        XCTAssertEqual(records.map(\.at), [at("2026-02-08T10:00:00Z"), at("2026-02-09T10:00:00Z")])
        XCTAssertEqual(outboxFiles().count, 2)
        let first = try XCTUnwrap(records.first)
        var head: AuditEntry?
        try ledger.auditEntries(AuditFilter()) { if $0.seq == first.headSeq { head = $0 } }
        XCTAssertEqual(head?.event, AuditEvent.tickFinished.rawValue, "the head is the tick's last entry")
        XCTAssertEqual(head?.hash, first.headHash)
        XCTAssertNil(try ledger.verifyAudit())
    }

    func testAWitnessTheServerDidNotTakeIsNotRecordedAndIsTriedAtTheNextTick() throws {
        var refused = try config(smtpURL: "smtp://127.0.0.1:\(closedPort())")
        refused.auditWitness = Interval("1d")
        let ledger = memoryLedger(invoices: [])
        try runner(refused, ledger: ledger, clock: FixedClock(at("2026-02-08T10:00:00Z"))).run()
        XCTAssertEqual(try witnessed(ledger), [])
        var working = try config()
        working.auditWitness = Interval("1d")
        try runner(working, ledger: ledger, clock: FixedClock(at("2026-02-08T10:15:00Z"))).run()
        XCTAssertEqual(try witnessed(ledger).count, 1)
    }

    func testWithoutTheKeyNoWitnessIsSent() throws {
        let ledger = memoryLedger(invoices: [])
        try runner(try config(), ledger: ledger, clock: FixedClock(at("2026-02-08T10:00:00Z"))).run()
        XCTAssertEqual(try witnessed(ledger), [])
        XCTAssertEqual(outboxFiles(), [])
    }
}
