import Foundation
import XCTest
@testable import OverdueRuntime

final class IdleMemoryTests: XCTestCase {
    private func rssAnonKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    func testReleasingGivesBackFreedHeapThatFreeKeepsBelowABlockInUse() throws {
        // Small blocks (heap, not mmap), written so they are resident, then all freed but the
        // last: it pins the heap's top, so free alone keeps the pages below it.
        let blocks = (0..<160_000).map { _ -> UnsafeMutableRawPointer in
            let block = malloc(256)!
            memset(block, 0xA5, 256)
            return block
        }
        for block in blocks.dropLast() { free(block) }
        defer { free(blocks.last) }
        let before = try rssAnonKiB()
        IdleMemory.release()
        let after = try rssAnonKiB()
        XCTAssertLessThan(after, before - 20_000, "RssAnon \(before) KiB before, \(after) KiB after")
    }
}
