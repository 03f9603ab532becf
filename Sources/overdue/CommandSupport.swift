import ArgumentParser
import Foundation
import OverdueCore

/// `--config PATH`, shared by every command that reads config.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Config file.", discussion: "Default: $OVERDUE_CONFIG, else /etc/overdue/overdue.toml.", valueName: "PATH"))
    var config: String?

    /// The path in force: the flag, else `$OVERDUE_CONFIG`, else the system default.
    var path: String {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["OVERDUE_CONFIG"], !env.isEmpty { return env }
        return "/etc/overdue/overdue.toml"
    }
}

/// Writes one line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs a command body, turning an `OverdueError` into its one stderr line (plus details)
/// and exit code, as the contract requires.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as OverdueError {
        printError(error.message)
        for line in error.details { printError(line) }
        throw ExitCode(error.exitCode.rawValue)
    }
}

extension Result where Failure == CSVImportFailure {
    /// The value, or the file's refusal as one error (exit 65) listing every problem, then how
    /// many there were and that `nothing` was written.
    func get(orRefuse file: String, nothing: String = "nothing recorded") throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let failure):
            throw OverdueError(.dataError, failure.problems.first ?? "\(file): invalid CSV",
                               details: Array(failure.problems.dropFirst()) + ["\(file): \(failure.total) problem(s); \(nothing)"])
        }
    }
}
