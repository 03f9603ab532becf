import ArgumentParser

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "client", abstract: "(being built)")
    @OptionGroup var options: ConfigOption
    func run() throws { throw ExitCode(64) }
}
