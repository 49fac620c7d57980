-- wrk script for scripts/bench-http: GET the polling route with the queue token from
-- the TOKEN environment variable in the Authorization header (every request the same).
wrk.method = "GET"
wrk.path = "/api/v1/queue/tokens/me"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
