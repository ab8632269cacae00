-- wrk hook for scripts/bench.py: print the run's figures as one JSON line.
-- Latencies are in microseconds; bench.py converts them to milliseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"p50":%d,"p75":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"requests":%d,'
      .. '"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
