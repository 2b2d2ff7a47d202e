-- wrk script: create payment intents, over and over (BENCH_PREFIX, BENCH_AUTH).
local path = (os.getenv("BENCH_PREFIX") or "") .. "/v2/payment-intents"
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = os.getenv("BENCH_AUTH") }
local body = '{"amount":1000,"currency":"usd","metadata":{"order":"bench"}}'

request = function()
  return wrk.format("POST", path, headers, body)
end
