/// Process exit codes from sysexits.h, as fixed by the interface contract.
public enum ExitCode: Int32, Sendable {
    case success = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case cannotCreate = 73
    case ioError = 74
    case tempFailure = 75
    case noPermission = 77
    case config = 78
}

/// An error that carries the one line a user sees and the exit code the process ends with.
///
/// `message` is already formatted with its location (`FILE:LINE: field: problem`) where one exists,
/// and never contains a secret.
public struct OverdueError: Error, CustomStringConvertible, Sendable, Equatable {
    public var exitCode: ExitCode
    public var message: String
    /// Further lines (e.g. every bad CSV row) printed after `message`.
    public var details: [String]

    public init(_ exitCode: ExitCode, _ message: String, details: [String] = []) {
        self.exitCode = exitCode
        self.message = message
        self.details = details
    }

    public var description: String { message }

    public static func config(_ message: String) -> OverdueError { .init(.config, message) }
    public static func data(_ message: String) -> OverdueError { .init(.dataError, message) }
    public static func io(_ message: String) -> OverdueError { .init(.ioError, message) }
    public static func usage(_ message: String) -> OverdueError { .init(.usage, message) }
}
