import Foundation

/// Syslog severities, as journald reads them from a `<N>` prefix on each stderr line.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case error = 3, warning = 4, notice = 5, info = 6, debug = 7

    /// Parses `error`, `warning`, `notice`, `info`, `debug` (or the syslog numbers 3…7).
    public init?(name: String) {
        switch name.lowercased() {
        case "error", "err", "3": self = .error
        case "warning", "warn", "4": self = .warning
        case "notice", "5": self = .notice
        case "info", "6": self = .info
        case "debug", "7": self = .debug
        default: return nil
        }
    }

    /// A higher severity is a lower syslog number, so `error < debug` reads as "more severe".
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One line per event on stderr, prefixed `<N>` so journald files it under the right priority
/// (journald adds the time, so none is written here).
///
/// Callers pass only facts that are safe to show: invoice numbers, stages, addresses, server
/// replies. Secrets never reach a log line because no secret is ever passed to one. Control
/// characters in a message are escaped, so one event is always exactly one line.
public struct Logger: Sendable {
    /// Events less severe than this are dropped.
    public var threshold: LogLevel
    private let sink: @Sendable (String) -> Void

    public init(threshold: LogLevel = .info, sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.threshold = threshold
        self.sink = sink
    }

    /// The level from `$OVERDUE_LOG_LEVEL` (default `info`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        Logger(threshold: environment["OVERDUE_LOG_LEVEL"].flatMap(LogLevel.init(name:)) ?? .info)
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level <= threshold else { return }
        sink("<\(level.rawValue)>" + message().escapingControls() + "\n")
    }

    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func notice(_ message: @autoclosure () -> String) { log(.notice, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
}
