# A per-request policy as Warden's kill switch uses it: data says which model versions and
# clients are switched off and when maintenance windows are; input is the request.
package serving.request

import rego.v1

default allow := false

allow if {
	not killed
	input.client.spiffe_id in data.allowed_clients
	input.route in {"infer", "metadata", "ready"}
}

killed if input.model.version in data.killed_versions[input.model.name]

killed if input.client.spiffe_id in data.blocked_clients

killed if {
	some window in data.maintenance
	window.start_ns <= input.time_ns
	input.time_ns < window.end_ns
}

reasons contains sprintf("version %v of %v is switched off", [input.model.version, input.model.name]) if {
	input.model.version in data.killed_versions[input.model.name]
}

reasons contains sprintf("client %v is blocked", [input.client.spiffe_id]) if {
	input.client.spiffe_id in data.blocked_clients
}
