# The startup gate of the requirements (section 5.1), in Rego v1. `warden fetch --gate-policy`
# evaluates data.serving.startup.permit over the verification report; anything but true denies.
package serving.startup

default permit := false

permit if {
	input.model.stage == "Approved"
	input.model.signatures.valid
	input.model.digest == input.expected_digest
	not input.model.revoked
}
