-- wrk script: each connection alternates create and confirm. A create's answer queues its id;
-- the next request confirms a queued id (each id exactly once), else creates another intent.
-- Set by bench/servers.py through the environment: BENCH_PREFIX (path prefix), BENCH_AUTH.
local prefix = os.getenv("BENCH_PREFIX") or ""
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = os.getenv("BENCH_AUTH") }
local create_body = '{"amount":1000,"currency":"usd","metadata":{"order":"bench"}}'
local confirm_body = '{"payment_method_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a"}'
local queue = {}

-- BENCH_DELAY_MS (bench/soak.py): each connection waits this long before each request, for a
-- steady load below saturation; unset, requests follow each other at once.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  delay = function() return pause end
end

request = function()
  local id = table.remove(queue)
  if id then
    return wrk.format("POST", prefix .. "/v2/payment-intents/" .. id .. "/confirm", headers, confirm_body)
  end
  return wrk.format("POST", prefix .. "/v2/payment-intents", headers, create_body)
end

response = function(status, _, body)
  if status == 200 and string.find(body, '"client_secret"', 1, true) then
    local id = string.match(body, '"id"%s*:%s*"([%x%-]+)"')
    if id then table.insert(queue, id) end
  end
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
