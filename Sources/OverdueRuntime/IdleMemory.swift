import Foundation

/// Gives back what a tick left resident before the daemon idles until the next one.
///
/// Most of an idle `overdue run`'s resident set is not its own memory: it is pages of shared
/// libraries (Swift runtime, Foundation, ICU's data, OpenSSL, libcurl's dependencies) that
/// start-up and the tick touched, about 33 MB against 4 MB of the process's own. Those pages
/// are clean copies of files in the page cache, which the kernel may drop at any time; they
/// stay counted in RSS only because this process's page tables still point at them.
/// `release()` unmaps them from this process (`madvise(MADV_DONTNEED)`), so that RSS shows
/// what the idle process really holds; the next tick faults back in what it uses, from the page
/// cache (a few thousand minor faults, some milliseconds, once per `daemon.interval`).
///
/// Only mappings that cannot hold data of this process's own are released: file-backed, not
/// writable, and without a single copy-on-write page (`Anonymous: 0` in `/proc/self/smaps`),
/// such as code and read-only data. Relocated read-only data (RELRO) has copy-on-write pages
/// and is left alone: dropping those would bring back the file's unrelocated bytes.
/// Freed heap goes back to the kernel too (`malloc_trim`).
public enum IdleMemory {
    /// Releases what can be released; returns the bytes of mappings released. Best effort:
    /// without `/proc` it only trims the heap.
    @discardableResult
    public static func release() -> Int {
        _ = mallocTrim(0)
        guard let smaps = readProcFile("/proc/self/smaps") else { return 0 }
        var released = 0
        for mapping in releasable(smaps: smaps) {
            if madvise(UnsafeMutableRawPointer(bitPattern: mapping.lowerBound), mapping.count, MADV_DONTNEED) == 0 {
                released += mapping.count
            }
        }
        return released
    }

    /// The address ranges of the mappings `release()` may drop, from the text of `/proc/PID/smaps`.
    static func releasable(smaps: String) -> [Range<UInt>] {
        var ranges: [Range<UInt>] = []
        var candidate: Range<UInt>?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.last != ":" {
                // A mapping header: "start-end perms offset dev inode [path]".
                candidate = nil
                guard fields.count >= 6, fields[5].hasPrefix("/"), !fields[1].contains("w"), !fields[1].contains("s"),
                      let dash = first.firstIndex(of: "-"),
                      let start = UInt(first[..<dash], radix: 16), let end = UInt(first[first.index(after: dash)...], radix: 16),
                      start < end else { continue }
                candidate = start..<end
            } else if first == "Anonymous:", let range = candidate {
                if fields.count >= 2, fields[1] == "0" { ranges.append(range) }
                candidate = nil
            }
        }
        return ranges
    }
}

/// The whole text of a /proc file. (Foundation's file reading trusts the size `stat` reports,
/// which is 0 for these, and returns only the first chunk.)
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        guard count > 0 else { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// glibc's `malloc_trim` (in `<malloc.h>`, which the Glibc module does not export): returns
/// freed heap memory to the kernel.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
