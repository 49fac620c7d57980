-- wrk script for scripts/bench-http's latency step: the polling route (token from the
-- TOKEN environment variable) at a fixed total rate instead of as fast as possible.
-- wrk has no rate option (that is wrk2), so each connection waits a random delay with a
-- mean of CONNECTIONS * 1000 / RATE ms before each request: the sum over connections is
-- RATE requests/s while responses are fast (at half load they are). Delays are whole ms
-- (wrk's timer), drawn uniformly from [0, 2 * mean] so connections do not fire in step.
-- wrk starts a request's latency clock when it writes it, after the delay.
wrk.method = "GET"
wrk.path = "/api/v1/queue/tokens/me"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

local mean_ms = tonumber(os.getenv("CONNECTIONS")) * 1000 / tonumber(os.getenv("RATE"))

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function delay()
  return math.floor(math.random() * 2 * mean_ms + 0.5)
end
