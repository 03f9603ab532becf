import Foundation
import OverdueCore

/// Reads the SMTP password named by `smtp.password_file` or `smtp.password_env`.
///
/// Errors name the file or variable, never the value. One trailing line break is dropped
/// (files written with `echo` end in one); anything else in the file is the password.
public func readSMTPPassword(_ secret: SMTPSettings.Secret) throws(OverdueError) -> String {
    try readPassword(secret, key: "smtp.password_file")
}

/// A password named by a `password_file` (`key` names it in errors, e.g. `daemon.password_file`)
/// or `password_env`, under the rules of `readSMTPPassword`.
public func readPassword(_ secret: SMTPSettings.Secret, key: String) throws(OverdueError) -> String {
    let value: String
    switch secret {
    case .file, .credential:
        let path = secret.path()!
        let data: Data
        do {
            data = try readSecretFile(path)
        } catch {
            throw .config("\(key): \(path): \(error.reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .config("\(key): \(path): not UTF-8 text")
        }
        value = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !value.isEmpty else { throw .config("\(key): \(path): is empty") }
    case .environment(let name):
        guard let text = ProcessInfo.processInfo.environment[name] else {
            throw .config("smtp.password_env: environment variable \(name) is not set")
        }
        guard !text.isEmpty else { throw .config("smtp.password_env: environment variable \(name) is empty") }
        value = text
    }
    // A line break inside would end the AUTH command early: refuse it rather than send half a secret.
    guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
        let source = switch secret {
        case .file, .credential: "\(key): \(secret.path()!)"
        case .environment(let name): "smtp.password_env: environment variable \(name)"
        }
        throw .config("\(source): contains a line break or NUL")
    }
    return value
}

extension SMTPSettings.Secret {
    /// The file a `password_file` names, given the process's environment; nil for `password_env`.
    public func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        switch self {
        case .file(let path): path
        case .credential(let name, let besideConfig):
            environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : ($0 as NSString).appendingPathComponent(name) }
                ?? besideConfig
        case .environment: nil
        }
    }
}

/// The secret file's bytes. Like ssh with a private key, a file that others than its owner may
/// read is refused: the password is already exposed, and using it would hide that.
public func readSecretFile(_ path: String) throws(FileReadError) -> Data {
    var info = stat()
    guard stat(path, &info) == 0 else { throw FileReadError(reason: String(cString: strerror(errno))) }
    if info.st_mode & 0o077 != 0 {
        let mode = String(info.st_mode & 0o777, radix: 8)
        throw FileReadError(reason: "may be read or changed by others than its owner (mode 0\(mode)); chmod 600 it")
    }
    return try readWholeFile(path)
}

public struct FileReadError: Error {
    public let reason: String
    /// The disk was full: it may have room by the next attempt.
    var temporary = false
}

/// The file's bytes, or the OS's reason why not (`Permission denied`, `No such file or directory`).
func readWholeFile(_ path: String) throws(FileReadError) -> Data {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw FileReadError(reason: String(cString: strerror(errno)))
        }
        if count == 0 { return data }
        data.append(contentsOf: buffer[..<count])
    }
}
