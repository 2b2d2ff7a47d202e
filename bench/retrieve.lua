-- wrk script: retrieve one existing payment intent, over and over (BENCH_PREFIX, BENCH_AUTH, BENCH_ID).
local path = (os.getenv("BENCH_PREFIX") or "") .. "/v2/payment-intents/" .. os.getenv("BENCH_ID")
local headers = { ["Authorization"] = os.getenv("BENCH_AUTH") }

request = function()
  return wrk.format("GET", path, headers)
end
