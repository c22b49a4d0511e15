"""Kubernetes NetworkPolicy semantics, compiled to nftables for one pod's network namespace, so
a test can enforce the rendered manifests on veth-connected namespaces the way a CNI would.

Implemented as the API reference defines it: a pod is isolated for a direction when any policy
in its namespace selects it with that policy type; what is allowed is the union of every such
policy's rules; a peer's namespaceSelector and podSelector in one element must both match (a
podSelector alone means the policy's own namespace); ports match by number and protocol; an
empty rule list allows nothing, a rule without `from`/`to` allows every peer. Replies to allowed
connections pass (conntrack), and loopback is not governed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict = field(default_factory=dict)
    address: str = ""

    def namespace_labels(self) -> dict:
        # Every namespace carries its name as a label (kubernetes.io/metadata.name).
        return {"kubernetes.io/metadata.name": self.namespace}


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist); {} matches all."""
    if selector is None:
        return True
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def peer_addresses(peer: dict, policy_namespace: str, pods: list[Pod]) -> list[str]:
    if "ipBlock" in peer:
        return [peer["ipBlock"]["cidr"]]
    chosen = []
    for pod in pods:
        if "namespaceSelector" in peer:
            namespace_ok = selector_matches(peer["namespaceSelector"], pod.namespace_labels())
        else:
            namespace_ok = pod.namespace == policy_namespace
        if namespace_ok and selector_matches(peer.get("podSelector"), pod.labels):
            chosen.append(pod.address)
    return chosen


def _rule_statements(rule: dict, peers_key: str, address_field: str, policy_namespace: str, pods: list[Pod]) -> list[str]:
    if peers_key in rule:
        addresses = sorted({address for peer in rule[peers_key] for address in peer_addresses(peer, policy_namespace, pods)})
        if not addresses:
            return []  # peers named, none exist: nothing is allowed by this rule
        match_peer = f"ip {address_field} {{ {', '.join(addresses)} }} "
    else:
        match_peer = ""  # no peers listed: any peer
    ports = rule.get("ports")
    if not ports:
        return [f"{match_peer}accept"]
    statements = []
    for port in ports:
        protocol = port.get("protocol", "TCP").lower()
        if "port" not in port:
            statements.append(f"{match_peer}meta l4proto {protocol} accept")
            continue
        if not isinstance(port["port"], int):
            raise ValueError(f"named port {port['port']!r}: give the number (named ports need the pod spec)")
        end = port.get("endPort")
        span = f"{port['port']}-{end}" if end else str(port["port"])
        statements.append(f"{match_peer}{protocol} dport {span} accept")
    return statements


def ruleset(pod: Pod, policies: list[dict], pods: list[Pod]) -> str:
    """The nftables ruleset enforcing POLICIES for POD (to load inside the pod's netns)."""
    selecting = [
        policy for policy in policies
        if policy["metadata"].get("namespace", "default") == pod.namespace
        and selector_matches(policy["spec"].get("podSelector") or {}, pod.labels)
    ]
    chains = []
    for direction, hook, peers_key, address_field in (("Ingress", "input", "from", "saddr"), ("Egress", "output", "to", "daddr")):
        isolating = [policy for policy in selecting if direction in _policy_types(policy)]
        if not isolating:
            continue  # not isolated in this direction: everything passes
        lines = [f"    type filter hook {hook} priority 0; policy drop;", "    ct state established,related accept",
                 f'    {"iifname" if hook == "input" else "oifname"} "lo" accept']
        for policy in isolating:
            for rule in policy["spec"].get(direction.lower(), []) or []:
                lines += [f"    {statement}" for statement in _rule_statements(rule, peers_key, address_field, pod.namespace, pods)]
        chains.append(f"  chain {hook} {{\n" + "\n".join(lines) + "\n  }")
    return "table inet netpol {\n" + "\n".join(chains) + "\n}\n"


def _policy_types(policy: dict) -> list[str]:
    """policyTypes, defaulted as the API server does: Ingress always, Egress when rules exist."""
    spec = policy["spec"]
    if "policyTypes" in spec:
        return spec["policyTypes"]
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])
