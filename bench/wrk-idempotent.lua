-- wrk script for bench/idempotency-memory.sh: POSTs a small tool call, each with a new Idempotency-Key
-- (thread id + counter), so every request adds one key to Breakwater's idempotency store.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/tools/refund", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer sk-bench-not-a-real-key",
    ["Idempotency-Key"] = string.format("bench-%d-%d", thread_id, counter),
  }, '{"order":"o_12345","amount":10}')
end
