-- wrk script for bench/run.sh: POSTs a small chat-completion request, and at the end prints one line
--   BENCH p50=<us> p99=<us> p999=<us> rps=<n> requests=<n> errors=<n> non2xx=<n>
-- (wrk's own --latency output stops at p99; latency:percentile() gives p99.9 too).
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-not-a-real-key"
wrk.body = '{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello."}],"max_tokens":16}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH p50=%d p99=%d p999=%d rps=%.1f requests=%d errors=%d non2xx=%d\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.requests / (summary.duration / 1e6), summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status))
end
