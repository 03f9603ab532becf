import Foundation

/// The systemd notification protocol (`sd_notify`) without libsystemd: newline-separated
/// `KEY=VALUE` datagrams to the AF_UNIX socket named by `$NOTIFY_SOCKET`.
///
/// A name starting with `@` is an abstract socket (the `@` becomes a NUL byte). When the
/// variable is unset, or sending fails, nothing happens: the daemon works the same outside
/// systemd, and a lost status line is not worth stopping for.
public final class SystemdNotifier: Sendable {
    private let socketPath: String?
    private let descriptor: Int32
    /// `$WATCHDOG_USEC` when set for this process: ping at least every half of it.
    public let watchdogInterval: TimeInterval?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        descriptor = path == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var watchdog: TimeInterval?
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            // WATCHDOG_PID, when set, names the process meant; ignore a watchdog meant for another.
            if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() {
                watchdog = nil
            } else {
                watchdog = TimeInterval(usec) / 1_000_000
            }
        }
        watchdogInterval = watchdog
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    public var isActive: Bool { socketPath != nil && descriptor >= 0 }

    public func ready() { send("READY=1") }
    /// `STATUS=` takes one line; the text is cut at the first line break.
    public func status(_ text: String) { send("STATUS=" + (text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "")) }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1") }
    /// Sent before a reload; `MONOTONIC_USEC` lets systemd ≥ 253 (Type=notify-reload) match it.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }

    /// Sends one datagram; returns false when there is no socket or it could not be sent.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard let socketPath, descriptor >= 0 else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            if pathBytes.count < raw.count { raw[pathBytes.count] = 0 }
        }
        // Abstract names are exactly as long as given; filesystem paths include their NUL.
        let pathLength = pathBytes.first == 0 ? pathBytes.count : pathBytes.count + 1
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathLength)
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { buffer in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == bytes.count
    }
}
