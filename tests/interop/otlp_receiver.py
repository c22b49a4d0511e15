"""A minimal OTLP/HTTP traces receiver for tests: POST /v1/traces with a protobuf
ExportTraceServiceRequest (PyPI opentelemetry-proto decodes it); spans are kept in memory.
With an SSL context it is a TLS collector stand-in (no OpenTelemetry Collector installs from
Debian or PyPI): the context may require client certificates, and each export records the
client certificate's URI SANs."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse


class OTLPReceiver:
    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[bytes] = []
        self.spans: list = []
        self.client_identities: list[list[str]] = []
        self.client_serials: list[str] = []
        self.tls = tls
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                    self.send_response(404)
                    self.end_headers()
                    return
                export = ExportTraceServiceRequest.FromString(body)
                peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                with receiver._lock:
                    receiver.requests.append(body)
                    if peer is not None:
                        receiver.client_identities.append([v for k, v in peer.get("subjectAltName", ()) if k == "URI"])
                        receiver.client_serials.append(peer.get("serialNumber", ""))
                    for resource_spans in export.resource_spans:
                        for scope_spans in resource_spans.scope_spans:
                            receiver.spans.extend(scope_spans.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def __enter__(self) -> "OTLPReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, timeout: float = 15.0) -> list:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                found = [s for s in self.spans if predicate(s)]
            if found:
                return found
            time.sleep(0.1)
        return []

    def raw(self) -> bytes:
        with self._lock:
            return b"".join(self.requests)
