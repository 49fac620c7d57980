// Speed of the HTTP edge: the pure request path (parse_request on typical requests, the
// rendering of a 50-seat listing) and loopback round trips through a real node, with
// and without a trip into the actors. Numbers, not pass/fail: run it, read it.
#include <benchmark/benchmark.h>

#include <memory>

#include "actors/catalog.hpp"
#include "http/client.hpp"
#include "http/node.hpp"
#include "http/render.hpp"
#include "http/request.hpp"

namespace {

using namespace concert;
using namespace concert::http;

void BM_ParseHold(benchmark::State& state) {
  request_in in;
  in.method = "POST";
  in.target = "/api/v1/reservations";
  in.authorization = {"Bearer AAAAAAAAAAEAAAAAAAAABzn2tBykmpJK2QCvuZFrqwg", 1};
  in.body = R"({"scheduleId": 1, "seatNo": 17})";
  for (auto _ : state) benchmark::DoNotOptimize(parse_request(in));
}
BENCHMARK(BM_ParseHold);

void BM_ParseSeatsQuery(benchmark::State& state) {
  request_in in;
  in.method = "GET";
  in.target = "/api/v1/schedules/3/seats?all=true";
  in.authorization = {"Bearer AAAAAAAAAAEAAAAAAAAABzn2tBykmpJK2QCvuZFrqwg", 1};
  for (auto _ : state) benchmark::DoNotOptimize(parse_request(in));
}
BENCHMARK(BM_ParseSeatsQuery);

void BM_RenderFiftySeats(benchmark::State& state) {
  std::vector<seat_info> seats;
  for (seat_no s = 1; s <= 50; ++s) seats.push_back({s, 100000, seat_status::available});
  for (auto _ : state) benchmark::DoNotOptimize(render(code::ok, seats));
}
BENCHMARK(BM_RenderFiftySeats);

/// One keep-alive connection, one request at a time: latency-bound round trips.
void round_trips(benchmark::State& state, const char* target) {
  node_options o;
  o.catalog = demo_catalog();
  o.system.seed = 1;
  o.server.port = 0;
  node n(o);
  client c(n.port());
  for (auto _ : state) {
    auto r = c.request("GET", target);
    if (r.status != 200) state.SkipWithError("unexpected status");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RoundTripHealthz(benchmark::State& state) { round_trips(state, "/healthz"); }
BENCHMARK(BM_RoundTripHealthz)->UseRealTime();

void BM_RoundTripBalanceViaActors(benchmark::State& state) {
  round_trips(state, "/api/v1/users/7/points");
}
BENCHMARK(BM_RoundTripBalanceViaActors)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
