package serving.startup
default permit = false
permit {
  input.model.stage == "Approved"
  input.model.signatures.valid
  input.model.digest == input.expected_digest
  not input.model.revoked
}
