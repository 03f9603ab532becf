/// The name overdue gives in its SMTP greeting (`EHLO name`). Servers judge it: Postfix's common
/// `reject_non_fqdn_helo_hostname` refuses a name without a dot, and spam filters score one.
extension SMTPSettings {
    /// `ehlo_name` when configured; else the first of `hostNames` (this host's names, best
    /// first) that is a host name with a dot, else the first that is a host name at all, else
    /// `localhost`. A trailing root dot is dropped.
    public func greetingName(hostNames: [String]) -> String {
        if let ehloName { return ehloName }
        let valid = hostNames.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }.filter {
            if case .success = SMTPSection.checkHostName($0) { true } else { false }
        }
        return valid.first { $0.contains(".") } ?? valid.first ?? "localhost"
    }

    /// What `config check` says about the greeting name `name`: nil when it is fully qualified.
    public func greetingWarning(for name: String) -> String? {
        guard !name.contains(".") else { return nil }
        let origin = ehloName != nil ? "smtp.ehlo_name: \"\(name)\"" : "smtp.ehlo_name is not set and this host's name \"\(name)\""
        return "warning: \(origin) has no dot: mail servers that require a fully qualified name "
            + "(Postfix reject_non_fqdn_helo_hostname) refuse the session; set smtp.ehlo_name to this host's name "
            + "in DNS, such as \"mail.example.com\""
    }
}
