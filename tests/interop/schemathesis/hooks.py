"""Schemathesis hooks for test_openapi.py (loaded through SCHEMATHESIS_HOOKS).

Two generated cases test something other than Warden's contract, so they are adjusted:

- An unknown header (`x-schemathesis-unknown-property`) that the coverage phase adds expecting
  a rejection: HTTP says a recipient MUST ignore header fields it does not recognise
  (RFC 9110, section 5.1), so Warden does, and the case is dropped.
- A client deadline (`Warden-Timeout-Ms`, `X-Envoy-Expected-Rq-Timeout-Ms`, the OIP `timeout`
  parameter) shorter than the model takes is answered 504 by design — test_resilience.py
  covers that. Here deadlines are raised to at least one second, so the request's handling
  (header parsing included) is what is tested, not the machine's speed.
"""

import schemathesis

UNKNOWN_HEADER = "x-schemathesis-unknown-property"
DEADLINE_HEADERS = ("Warden-Timeout-Ms", "X-Envoy-Expected-Rq-Timeout-Ms")


@schemathesis.hook
def filter_case(context, case):
    return not any(name.lower() == UNKNOWN_HEADER for name in (case.headers or {}))


@schemathesis.hook
def map_case(context, case):
    for name in DEADLINE_HEADERS:
        value = (case.headers or {}).get(name)
        # Only valid deadlines (>= 1) are raised: an invalid one must still be refused.
        if (isinstance(value, int) or (isinstance(value, str) and value.isdigit())) and int(value) >= 1:
            case.headers[name] = str(max(int(value), 1000))
    parameters = case.body.get("parameters") if isinstance(case.body, dict) else None
    if isinstance(parameters, dict) and isinstance(parameters.get("timeout"), int) and parameters["timeout"] > 0:
        parameters["timeout"] = max(parameters["timeout"], 1_000_000)
    return case
