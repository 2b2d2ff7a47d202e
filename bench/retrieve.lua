-- wrk script: retrieve one existing payment intent, over and over (BENCH_PREFIX, BENCH_AUTH, BENCH_ID).
local path = (os.getenv("BENCH_PREFIX") or "") .. "/v2/payment-intents/" .. os.getenv("BENCH_ID")
local headers = { ["Authorization"] = os.getenv("BENCH_AUTH") }

request = function()
  return wrk.format("GET", path, headers)
end

-- BENCH_ADDRS ("host:port,host:port"): several instances; wrk's threads take them in turn (the
-- Host header stays the URL's, which the sandbox ignores).
local addrs = {}
for entry in string.gmatch(os.getenv("BENCH_ADDRS") or "", "[^,]+") do table.insert(addrs, entry) end
local counter = 0
setup = function(thread)
  if #addrs > 0 then
    local host, port = string.match(addrs[counter % #addrs + 1], "^(.*):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
    counter = counter + 1
  end
end
