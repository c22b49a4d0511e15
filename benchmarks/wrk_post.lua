-- wrk script for benchmarks/serving.py: POSTs one JSON body, the same on every request,
-- and prints a machine-readable summary when the run ends.
--
--   WRK_BODY=/path/to/body.json wrk -s benchmarks/wrk_post.lua URL
--
-- The body is read once, at load time, from the file named by WRK_BODY.  The summary is
-- one line starting with "WRK_JSON " (latencies in microseconds), after wrk's own report.

local path = os.getenv("WRK_BODY")
if path == nil or path == "" then
  error("set WRK_BODY to the file holding the request body")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

-- WRK_DELAY_MS paces each connection (a pause before every request), so N connections offer
-- about N / (delay + latency) requests per second instead of as many as the server answers.
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if delay_ms ~= nil then
  function delay()
    return delay_ms
  end
end

-- WRK_CLOSE=1 asks for a new connection per request (Connection: close): with TLS, a full
-- handshake per request.
if os.getenv("WRK_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
