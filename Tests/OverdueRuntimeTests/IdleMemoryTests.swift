import Foundation
import XCTest
@testable import OverdueRuntime

final class IdleMemoryTests: XCTestCase {
    func testOnlyReadOnlyFileMappingsWithoutCopyOnWritePagesAreReleasable() {
        let smaps = """
            55d0a0000000-55d0a0100000 r-xp 00000000 fe:01 100 /usr/lib/libcode.so
            Rss:                 800 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me
            55d0a0100000-55d0a0200000 r--p 00100000 fe:01 100 /usr/lib/libcode.so
            Rss:                  64 kB
            Anonymous:            12 kB
            VmFlags: rd mr mw me ac
            55d0a0200000-55d0a0300000 rw-p 00200000 fe:01 100 /usr/lib/libcode.so
            Anonymous:             0 kB
            7f0000000000-7f0000100000 rw-p 00000000 00:00 0
            Anonymous:           900 kB
            7f0000100000-7f0000200000 r--s 00000000 fe:01 7 /var/lib/overdue/ledger.sqlite-shm
            Anonymous:             0 kB
            7f0000200000-7f0000300000 r--p 00000000 fe:01 200 /usr/share/icu/data.dat
            Anonymous:             0 kB
            7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
            Anonymous:             0 kB
            """
        XCTAssertEqual(IdleMemory.releasable(smaps: smaps), [0x55d0_a000_0000..<0x55d0_a010_0000, 0x7f00_0020_0000..<0x7f00_0030_0000])
    }

    func testReleasingLowersResidentFilePagesAndTheCodeStillRuns() throws {
        func rssFile() throws -> Int {
            let status = try XCTUnwrap(readProcFile("/proc/self/status"))
            let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
            return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        }
        let before = try rssFile()
        XCTAssertGreaterThan(IdleMemory.release(), 1_000_000)
        let after = try rssFile()
        XCTAssertLessThan(after, before, "RssFile \(before) kB before, \(after) kB after")
        // Everything released comes back from the page cache when used again.
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data("[1,2]".utf8)) as? [Int], [1, 2])
        XCTAssertEqual(TimeZone(identifier: "Europe/Berlin")?.secondsFromGMT(for: Date(timeIntervalSince1970: 1_780_000_000)), 7200)
    }
}
