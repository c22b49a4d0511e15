# The kill switch of docs/releases.md: a version listed in data.kill.versions is switched off
# for everyone; a client listed in data.kill.clients is refused.
package serving.request

import rego.v1

default allow := false

default version_blocked := false

allow if {
	not version_blocked
	not client_blocked
}

version_blocked if input.model.version in data.kill.versions[input.model.name]

client_blocked if input.client.spiffe_id in data.kill.clients

reasons contains sprintf("version %v of %v is switched off", [input.model.version, input.model.name]) if version_blocked

reasons contains "this client is switched off" if client_blocked
