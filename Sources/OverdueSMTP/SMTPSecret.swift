import Foundation
import OverdueCore

/// Reads the SMTP password named by `smtp.password_file` or `smtp.password_env`.
///
/// Errors name the file or variable, never the value. One trailing line break is dropped
/// (files written with `echo` end in one); anything else in the file is the password.
public func readSMTPPassword(_ secret: SMTPSettings.Secret) throws(OverdueError) -> String {
    let value: String
    switch secret {
    case .file(let path):
        let data: Data
        do {
            data = try readWholeFile(path)
        } catch {
            throw .config("smtp.password_file: \(path): \(error.reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .config("smtp.password_file: \(path): not UTF-8 text")
        }
        value = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !value.isEmpty else { throw .config("smtp.password_file: \(path): is empty") }
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
        case .file(let path): "smtp.password_file: \(path)"
        case .environment(let name): "smtp.password_env: environment variable \(name)"
        }
        throw .config("\(source): contains a line break or NUL")
    }
    return value
}

struct FileReadError: Error { let reason: String }

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
