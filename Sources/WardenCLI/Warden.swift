import ArgumentParser

/// The `warden` command: serve, fetch and verify approved models, and the tools around them.
@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Serve only machine-learning models you can prove are approved.",
        subcommands: [
            ServeCommand.self, FetchCommand.self, VerifyCommand.self, KeygenCommand.self, SignCommand.self, AttestCommand.self,
            PushCommand.self, RevocationCommand.self, DigestCommand.self, PolicyCommand.self, SchemaCommand.self, ONNXCommand.self,
            DevPKICommand.self, HealthCommand.self, ProbeCommand.self, SigstoreCommand.self, ContractCommand.self,
        ]
    )
}
