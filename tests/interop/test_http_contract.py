"""The HTTP contract, over raw HTTP: status codes, problem bodies, limits, no request data in
errors or logs, and one log line per request."""

from __future__ import annotations

import http.client
import json
import socket
import time
import uuid

import pytest
import requests

from conftest import CHURN_DIR, HOST, churn_batch, churn_instances, churn_v2_json

TIMEOUT = 30
JSON = {"Content-Type": "application/json"}
PROBLEM_KEYS = {"error", "type", "title", "status", "detail", "code", "request_id"}
LOG_KEYS = {"ts", "level", "msg", "logger", "request_id", "method", "route", "model", "version", "status",
            "latency_ms", "error_code"}
MAX_BODY = 4096


@pytest.fixture(scope="module")
def limited_server(_session_starter):
    """Small body limit, and a Content-Type required."""
    return _session_starter(
        config={
            "limits": {"max_body_bytes": MAX_BODY, "require_content_type": True},
            "models": [{"directory": str(CHURN_DIR)}],
        },
        label="churn-limited",
    )


def valid_body(rows: int = 2, **extra) -> bytes:
    return json.dumps(churn_v2_json(churn_batch(rows), **extra)).encode()


def raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One request on its own connection, sending exactly the given headers (plus Host and
    Content-Length). Returns (status, headers, body bytes)."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def assert_problem(status, headers, body, expected_status: int, expected_code: str) -> dict:
    assert status == expected_status, body
    # Plain JSON by default (what tritonclient and the KServe SDK parse); RFC 9457's media type
    # when the client asks for it (see test_problem_media_type_is_negotiated).
    assert headers["Content-Type"] == "application/json"
    problem = json.loads(body)
    assert set(problem) == PROBLEM_KEYS, problem
    assert problem["status"] == expected_status
    assert problem["code"] == expected_code
    assert problem["type"] == f"https://warden.dev/problems/{expected_code}"
    assert problem["error"] == problem["detail"] and problem["error"]
    assert isinstance(problem["title"], str) and problem["title"]
    assert headers["Warden-Error-Code"] == expected_code
    assert headers["X-Request-Id"] == problem["request_id"]
    return problem


# -- media types -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v2/models/churn/infer", "/v1/models/churn:predict"])
def test_text_plain_is_415(churn_server, path):
    status, headers, body = raw(churn_server, "POST", path, valid_body(), {"Content-Type": "text/plain"})
    assert_problem(status, headers, body, 415, "unsupported_media_type")


def test_no_content_type_is_read_as_json_by_default(churn_server):
    status, _, body = raw(churn_server, "POST", "/v2/models/churn/infer", valid_body())
    assert status == 200, body


def test_json_with_charset_is_accepted(churn_server):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    status, _, body = raw(churn_server, "POST", "/v2/models/churn/infer", valid_body(), headers)
    assert status == 200, body


def test_octet_stream_needs_the_header_length(churn_server):
    headers = {"Content-Type": "application/octet-stream"}
    status, headers, body = raw(churn_server, "POST", "/v2/models/churn/infer", valid_body(), headers)
    assert_problem(status, headers, body, 415, "unsupported_media_type")


def test_require_content_type_refuses_a_request_without_one(limited_server):
    status, headers, body = raw(limited_server, "POST", "/v2/models/churn/infer", valid_body(1))
    assert_problem(status, headers, body, 415, "unsupported_media_type")
    status, _, body = raw(limited_server, "POST", "/v2/models/churn/infer", valid_body(1), JSON)
    assert status == 200, body


def test_compressed_body_is_415(churn_server):
    headers = {**JSON, "Content-Encoding": "br"}
    status, headers, body = raw(churn_server, "POST", "/v2/models/churn/infer", valid_body(), headers)
    assert_problem(status, headers, body, 415, "unsupported_content_encoding")


# -- limits ----------------------------------------------------------------------------


def test_body_over_the_limit_is_413(limited_server):
    body = valid_body(40)
    assert len(body) > MAX_BODY
    status, headers, response = raw(limited_server, "POST", "/v2/models/churn/infer", body, JSON)
    problem = assert_problem(status, headers, response, 413, "payload_too_large")
    assert str(MAX_BODY) in problem["error"]


def test_chunked_body_over_the_limit_is_413(limited_server):
    """Without a Content-Length the limit holds while reading."""
    body = valid_body(40)

    def chunks():
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = requests.post(
        f"{limited_server.url}/v2/models/churn/infer", data=chunks(), headers=JSON, timeout=TIMEOUT
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert_problem(response.status_code, response.headers, response.content, 413, "payload_too_large")


def test_body_at_the_limit_is_read(limited_server):
    body = valid_body(1)
    body = body[:-1] + b" " * (MAX_BODY - len(body)) + b"}"
    assert len(body) == MAX_BODY
    status, _, response = raw(limited_server, "POST", "/v2/models/churn/infer", body, JSON)
    assert status == 200, response


def test_refused_body_is_not_read_as_the_next_request(limited_server):
    """After a 413 the unread body must not be parsed as further requests on the connection
    (request smuggling): the next request on it gets its own answer, or the server closed it."""
    smuggled = b"GET /smuggled-request HTTP/1.1\r\nHost: x\r\n\r\n"
    body = smuggled * (MAX_BODY // len(smuggled) + 2)
    mark = limited_server.mark()
    sock = socket.create_connection((HOST, limited_server.port), timeout=5)
    try:
        head = (
            f"POST /v2/models/churn/infer HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        first = http.client.HTTPResponse(sock)
        first.begin()
        first.read()
        assert first.status == 413
        try:
            sock.sendall(f"GET /v2 HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            second = http.client.HTTPResponse(sock)
            second.begin()
            payload = second.read()
            assert second.status == 200, payload
            assert json.loads(payload)["name"] == "warden"
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
            pass  # closing the connection after a refused body is fine
    finally:
        sock.close()
    routes = [r["route"] for r in limited_server.request_records(mark)]
    assert all(route in ("/v2/models/{model}/infer", "/v2") for route in routes), routes


def test_refused_oversized_body_is_not_read_to_its_end(limited_server):
    """max_body_bytes bounds what one request costs: once a body declared over the limit has
    been refused, the server closes the connection (or stops reading) instead of reading the
    rest of it — here 1 GB that the client is willing to send."""
    sock = socket.create_connection((HOST, limited_server.port), timeout=5)
    try:
        sock.sendall(
            f"POST /v2/models/churn/infer HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {1 << 30}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        assert response.status == 413
        sock.settimeout(2)
        chunk = b"x" * (1 << 16)
        accepted = 0
        try:
            while accepted < (64 << 20):
                sock.sendall(chunk)
                accepted += len(chunk)
        except (socket.timeout, ConnectionError):
            pass  # the server stopped reading, or closed the connection
        # Socket buffers on loopback hold a few MB; past that, only a reading server takes more.
        assert accepted < (32 << 20), f"the server read {accepted >> 20} MB of a body it had refused"
    finally:
        sock.close()


def test_json_nesting_over_the_limit_is_400(churn_server):
    body = b'{"inputs": ' + b"[" * 100 + b"]" * 100 + b"}"
    status, headers, response = raw(churn_server, "POST", "/v2/models/churn/infer", body, JSON)
    assert_problem(status, headers, response, 400, "invalid_json")


# -- malformed requests and unknown routes ---------------------------------------------


@pytest.mark.parametrize("path", ["/v2/models/churn/infer", "/v1/models/churn:predict"])
def test_malformed_json_is_400(churn_server, path):
    status, headers, body = raw(churn_server, "POST", path, b'{"inputs": [', JSON)
    assert_problem(status, headers, body, 400, "invalid_json")


@pytest.mark.parametrize(
    "fragment",
    [b'"ch\xffk"', b'"\\ud800"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"a\x01b"'],
    ids=["invalid UTF-8", "unpaired surrogate escape", "overlong UTF-8", "UTF-8 surrogate", "control character"],
)
def test_invalid_strings_are_invalid_json(churn_server, fragment):
    """The bad string stands where a BYTES value goes."""
    request = churn_v2_json(churn_batch(1))
    request["inputs"][8]["data"] = ["PLACEHOLDER"]
    body = json.dumps(request).encode().replace(b'"PLACEHOLDER"', fragment)
    status, headers, response = raw(churn_server, "POST", "/v2/models/churn/infer", body, JSON)
    assert_problem(status, headers, response, 400, "invalid_json")


@pytest.mark.parametrize(
    "body",
    [b'{"inputs": [], "inputs": []}', b'{"inputs": []} x', b"\xef\xbb\xbf{}", b"", b"null"],
    ids=["duplicate member", "trailing data", "byte order mark", "empty body", "null"],
)
def test_other_malformed_bodies_are_400(churn_server, body):
    status, headers, response = raw(churn_server, "POST", "/v2/models/churn/infer", body, JSON)
    assert status == 400, response
    assert json.loads(response)["code"] in ("invalid_json", "invalid_request")


def _binary_body(declared: int, actual: int, header_delta: int = 0):
    head = json.dumps(
        {"inputs": [{"name": "X", "datatype": "FP32", "shape": [1, 8], "parameters": {"binary_data_size": declared}}]}
    ).encode()
    headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head) + header_delta)}
    return head + b"\0" * actual, headers


@pytest.mark.parametrize(
    "declared, actual, header_delta, code",
    [
        (32, 32, 0, None),
        (32, 36, 0, "binary_size_mismatch"),  # bytes nobody claims
        (32, 28, 0, "binary_size_mismatch"),  # fewer bytes than declared
        (28, 28, 0, "binary_size_mismatch"),  # declared size does not fit the shape
        (-4, 32, 0, "binary_size_mismatch"),
        (32, 0, 100, "invalid_header_length"),  # header length past the body
    ],
)
def test_binary_framing(random_forest_server, declared, actual, header_delta, code):
    body, headers = _binary_body(declared, actual, header_delta)
    status, response_headers, response = raw(random_forest_server, "POST", "/v2/models/random_forest/infer", body, headers)
    if code is None:
        assert status == 200, response
    else:
        assert_problem(status, response_headers, response, 400, code)


def test_invalid_header_length_value_is_400(random_forest_server):
    body, headers = _binary_body(32, 32)
    for value in ("-1", "abc", "99999999999999999999999"):
        status, response_headers, response = raw(
            random_forest_server, "POST", "/v2/models/random_forest/infer", body,
            {**headers, "Inference-Header-Content-Length": value},
        )
        assert_problem(status, response_headers, response, 400, "invalid_header_length")


def test_json_that_is_not_an_object_is_400(churn_server):
    status, headers, body = raw(churn_server, "POST", "/v2/models/churn/infer", b"[1, 2]", JSON)
    assert_problem(status, headers, body, 400, "invalid_request")


# (/v2/models is the model index now: tests/interop/test_first_contact.py.)
@pytest.mark.parametrize("path", ["/", "/v3", "/v2/model", "/v2/models/churn/explain", "/metricz"])
def test_unknown_route_is_404_problem(churn_server, path):
    status, headers, body = raw(churn_server, "GET", path)
    assert_problem(status, headers, body, 404, "not_found")


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/v2", "GET"),
        ("POST", "/v2/health/ready", "GET"),
        ("GET", "/v2/models/churn/infer", "POST"),
        ("PUT", "/v1/models/churn:predict", "POST"),
    ],
)
def test_wrong_method_on_a_known_route_is_405(churn_server, method, path, allowed):
    """RFC 9110 §15.5.6: a known resource that does not support the method answers 405 with
    an Allow header."""
    status, headers, body = raw(churn_server, method, path, b"{}" if method in ("POST", "PUT") else None, JSON)
    assert_problem(status, headers, body, 405, "method_not_allowed")
    assert allowed in headers.get("Allow", "")


def test_problem_fields_for_each_kind_of_refusal(churn_server):
    batch = churn_batch(2)
    wrong_type = churn_v2_json(batch)
    wrong_type["inputs"][0]["datatype"] = "FP32"
    cases = [
        ("/v2/models/churn/infer", json.dumps(wrong_type).encode(), 400, "datatype_mismatch"),
        ("/v2/models/nope/infer", valid_body(), 404, "not_found"),
        ("/v2/models/churn/versions/9/infer", valid_body(), 404, "not_found"),
        ("/v2/models/churn/infer", b"{}", 400, "invalid_request"),
    ]
    for path, body, status_code, code in cases:
        status, headers, response = raw(churn_server, "POST", path, body, JSON)
        assert_problem(status, headers, response, status_code, code)


# -- probes ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/healthz"])
def test_probe_port_answers_status_only(churn_server, path):
    response = requests.get(f"{churn_server.probe_url}{path}", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.content == b""


def test_probe_port_serves_no_models(churn_server):
    assert requests.get(f"{churn_server.probe_url}/v2/models/churn", timeout=TIMEOUT).status_code == 404
    response = requests.post(
        f"{churn_server.probe_url}/v2/models/churn/infer", data=valid_body(), headers=JSON, timeout=TIMEOUT
    )
    assert response.status_code == 404
    # Nor anything else the serving port has: the plain-HTTP port is for the kubelet's probes only.
    for path in ("/metrics", "/openapi.json", "/v2", "/v2/models", "/v2/health/ready", "/v1/models", "/admin/releases",
                 "/v2/models/churn/stats"):
        assert requests.get(f"{churn_server.probe_url}{path}", timeout=TIMEOUT).status_code == 404, path
    assert requests.post(f"{churn_server.probe_url}/v2/repository/index", json={}, timeout=TIMEOUT).status_code == 404


# -- no request data in errors or logs -------------------------------------------------


def marker() -> str:
    return "MRK" + uuid.uuid4().hex


def _v2(batch_rows=2, **extra):
    return churn_v2_json(churn_batch(batch_rows), **extra)


def _with_input(field: str, value):
    def build(m):
        body = _v2()
        body["inputs"][1][field] = value(m)
        return json.dumps(body).encode()

    return build


def _binary_with_bad_size(m):
    body = _v2()
    body["inputs"][1].pop("data")
    body["inputs"][1]["parameters"] = {"binary_data_size": 12}
    head = json.dumps(body).encode()
    return head, {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))}


# (name, server fixture, method, path, headers, body builder) — each is refused and carries
# the marker somewhere the client controls.
MARKER_CASES = [
    ("malformed JSON", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     lambda m: ('{"inputs": [{"name": "' + m + '", ').encode()),
    ("string in FP32 data", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     _with_input("data", lambda m: [m, m])),
    ("unknown input name", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     _with_input("name", lambda m: m)),
    ("unknown datatype", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     _with_input("datatype", lambda m: m)),
    ("unknown output name", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     lambda m: json.dumps(_v2(outputs=[{"name": m}])).encode()),
    ("id of a refused request", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     lambda m: json.dumps({"id": m, "inputs": _v2()["inputs"][:-1]}).encode()),
    ("parameters of a refused request", "churn_server", "POST", "/v2/models/churn/infer", JSON,
     lambda m: json.dumps({"parameters": {"note": m}, "inputs": []}).encode()),
    ("unknown model in infer path", "churn_server", "POST", "/v2/models/{m}/infer", JSON,
     lambda m: json.dumps(_v2()).encode()),
    ("unknown model in metadata path", "churn_server", "GET", "/v2/models/{m}", {}, None),
    ("unknown version in path", "churn_server", "POST", "/v2/models/churn/versions/{m}/infer", JSON,
     lambda m: json.dumps(_v2()).encode()),
    ("unknown model in v1 path", "churn_server", "POST", "/v1/models/{m}:predict", JSON,
     lambda m: b'{"instances": [[1]]}'),
    ("unknown route", "churn_server", "GET", "/v2/{m}/anything", {}, None),
    ("Content-Type value", "churn_server", "POST", "/v2/models/churn/infer",
     {"Content-Type": "text/{m}"}, lambda m: json.dumps(_v2()).encode()),
    ("Content-Encoding value", "churn_server", "POST", "/v2/models/churn/infer",
     {**JSON, "Content-Encoding": "{m}"}, lambda m: json.dumps(_v2()).encode()),
    ("Inference-Header-Content-Length value", "churn_server", "POST", "/v2/models/churn/infer",
     {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": "{m}"},
     lambda m: json.dumps(_v2()).encode()),
    ("binary size mismatch", "churn_server", "POST", "/v2/models/churn/infer", None, _binary_with_bad_size),
    ("v1 extra feature", "churn_server", "POST", "/v1/models/churn:predict", JSON,
     lambda m: json.dumps({"instances": [{**churn_instances(churn_batch(1), True)[0], m: 1}]}).encode()),
    ("v1 string for a number", "churn_server", "POST", "/v1/models/churn:predict", JSON,
     lambda m: json.dumps({"instances": [[m] + churn_instances(churn_batch(1), False)[0][1:]]}).encode()),
    ("oversized body", "limited_server", "POST", "/v2/models/churn/infer", JSON,
     lambda m: json.dumps(_v2(40, id=m)).encode()),
]


@pytest.mark.parametrize(
    "server_name, method, path, headers, build", [c[1:] for c in MARKER_CASES], ids=[c[0] for c in MARKER_CASES]
)
def test_refusals_echo_no_request_data(request, server_name, method, path, headers, build):
    server = request.getfixturevalue(server_name)
    m = marker()
    body = None
    if build is not None:
        built = build(m)
        body, headers = built if isinstance(built, tuple) else (built, headers)
    headers = {k: v.replace("{m}", m) for k, v in (headers or {}).items()}
    mark = server.mark()
    status, response_headers, response = raw(server, method, path.replace("{m}", m), body, headers)
    assert 400 <= status < 500, (status, response)
    assert m.encode() not in response, response
    assert all(m not in value for value in response_headers.values())
    request_id = response_headers["X-Request-Id"]
    records = server.wait_for_request_ids([request_id], since=mark)[request_id]
    assert len(records) == 1, server.lines(mark)
    for line in server.lines(mark):
        assert m not in line, line


def test_accepted_payload_is_not_logged(churn_server):
    """A served request's data (here a category string) never reaches the log."""
    m = marker().lower()  # the contract's category pattern is lowercase
    body = _v2()
    body["inputs"][8]["data"] = [m, m]  # 'contract': an unknown category is still served
    mark = churn_server.mark()
    status, headers, response = raw(churn_server, "POST", "/v2/models/churn/infer", json.dumps(body).encode(), JSON)
    assert status == 200, response
    request_id = headers["X-Request-Id"]
    assert churn_server.wait_for_request_ids([request_id], since=mark)[request_id]
    assert all(m not in line for line in churn_server.lines(mark))


# -- request log -----------------------------------------------------------------------


def test_one_log_line_per_request(churn_server):
    batch = churn_batch(2)
    requests_to_send = [
        ("GET", "/v2", None, {}, 200, "/v2", None),
        ("GET", "/v2/health/ready", None, {}, 200, "/v2/health/ready", None),
        ("GET", "/v2/models/churn", None, {}, 200, "/v2/models/{model}", "churn"),
        ("GET", "/v2/models/churn/versions/1/ready", None, {}, 200, "/v2/models/{model}/versions/{version}/ready",
         "churn"),
        ("POST", "/v2/models/churn/infer", valid_body(), JSON, 200, "/v2/models/{model}/infer", "churn"),
        ("POST", "/v2/models/churn/versions/1/infer", valid_body(), JSON, 200,
         "/v2/models/{model}/versions/{version}/infer", "churn"),
        ("POST", "/v2/models/churn/infer", b"{", JSON, 400, "/v2/models/{model}/infer", "churn"),
        ("POST", "/v1/models/churn:predict", json.dumps({"instances": churn_instances(batch, True)}).encode(), JSON,
         200, "/v1/models/{model}:predict", "churn"),
        ("GET", "/v1/models/churn", None, {}, 200, "/v1/models/{model}", "churn"),
    ]
    mark = churn_server.mark()
    sent = []
    for method, path, body, headers, status, route, model in requests_to_send:
        before = len(churn_server.request_records(mark))
        got, response_headers, response = raw(churn_server, method, path, body, headers)
        assert got == status, (path, response)
        sent.append((method, route, status, model, response_headers))
        # Requests go one at a time, and each waits for its log line: lines match requests in order.
        churn_server.wait_for_record(lambda r: len(churn_server.request_records(mark)) > before, since=mark)
    time.sleep(0.2)  # a second line for any of them would show up by now
    records = churn_server.request_records(mark)
    assert len(records) == len(sent), records
    for record, (method, route, status, model, response_headers) in zip(records, sent):
        assert set(record) <= LOG_KEYS, record
        assert record["level"] == "info"
        assert record["method"] == method
        assert record["route"] == route
        assert record["status"] == status
        assert float(record["latency_ms"]) >= 0
        assert len(record["request_id"]) == 16
        if "X-Request-Id" in response_headers:
            assert record["request_id"] == response_headers["X-Request-Id"]
        if model:
            assert record["model"] == model
        if status == 200 and ("infer" in route or "predict" in route):
            assert record["version"] == "1"
        if status >= 400:
            assert record["error_code"] == response_headers["Warden-Error-Code"]
        else:
            assert "error_code" not in record
    assert len({r["request_id"] for r in records}) == len(records)


@pytest.mark.parametrize(
    "path", ["/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/churn", "/v2/models/churn/ready",
             "/v1/models/churn", "/no-such-route"]
)
def test_every_serving_response_names_its_request_id(churn_server, path):
    """X-Request-Id on every serving-port response, so a client can find its log line."""
    mark = churn_server.mark()
    _, headers, _ = raw(churn_server, "GET", path)
    assert "X-Request-Id" in headers, dict(headers)
    request_id = headers["X-Request-Id"]
    assert churn_server.wait_for_request_ids([request_id], since=mark)[request_id]


def test_every_log_line_is_json(churn_server):
    lines = churn_server.lines()
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"ts", "level", "msg"} <= set(record)
    assert any(json.loads(line).get("event") == "server_ready" for line in lines)


def test_problem_media_type_is_negotiated(churn_server):
    status, headers, body = raw(
        churn_server, "POST", "/v2/models/churn/infer", body=b"{not json",
        headers={"Content-Type": "application/json", "Accept": "application/problem+json"},
    )
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["code"] == "invalid_json"
