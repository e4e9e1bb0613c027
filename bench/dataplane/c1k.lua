-- wrk script for bench/dataplane/run.sh's 1,000-connection test: per-connection fairness and slow requests.
--
--   wrk -t2 -c1000 -d5s --timeout 5s --latency -s c1k.lua http://HOST:PORT/ -- 1000
--
-- Each request is GET /c1k?t=<send time, µs>; the backend answers /c1k with "... <worker pid>.<connection serial>
-- <t>" at the end of the body, i.e. the backend connection that served it and the send time back. wrk's Lua hooks
-- are per thread, not per connection, so this is how response() knows both:
--   * the latency of each response (now - t), measured here and not taken from wrk's histogram: wrk 4 adds
--     synthetic samples to its histogram after the run ("coordinated omission correction") that a closed loop of
--     1,000 connections does not need, and has no count above a value;
--   * which connection it came on: the three proxies are L4 proxies with one backend connection per client
--     connection, so a backend connection names wrk's connection (direct: it is wrk's connection).
-- done() prints one line "C1K {json}": conns_seen, zero_conns (= connections asked for - conns_seen),
-- per_conn_min/median/max (responses per connection), responses, over_1s (responses that took more than 1 s),
-- slow_conns (connections with at least one of them), p50/p99/max_ms, wrk_timeouts (responses slower than
-- --timeout; wrk drops them from its counts), wrk_p99_ms (wrk's own, corrected p99).
-- Not seen at all: a request still waiting when the run ends (its connection then shows few or no responses).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } fiberlb_c1k_timespec;
int clock_gettime(int clk_id, fiberlb_c1k_timespec *tp);
]]
local ts = ffi.new("fiberlb_c1k_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- thread state, read by done() through thread:get
counts = {} -- backend connection -> responses
slow = {}   -- backend connection -> responses over 1 s
lat = {}    -- every response's latency, µs
want = 0    -- connections asked for (the script's argument)
bad = 0     -- responses without the backend's tag (not from the /c1k location)

function init(args)
  want = tonumber(args[1]) or 0
end

function request()
  return wrk.format("GET", string.format("/c1k?t=%.0f", now_us()))
end

function response(status, headers, body)
  local now = now_us()
  local id, t = (body or ""):match("(%d+%.%d+) (%d+)%s*$")
  if not id then
    bad = bad + 1
    return
  end
  local l = now - tonumber(t)
  lat[#lat + 1] = l
  counts[id] = (counts[id] or 0) + 1
  if l > 1e6 then slow[id] = (slow[id] or 0) + 1 end
end

function done(summary, latency, requests)
  local per, slowper, all, want_all, bad_all = {}, {}, {}, 0, 0
  for _, t in ipairs(threads) do
    for id, c in pairs(t:get("counts") or {}) do per[id] = (per[id] or 0) + c end
    for id, c in pairs(t:get("slow") or {}) do slowper[id] = (slowper[id] or 0) + c end
    for _, v in ipairs(t:get("lat") or {}) do all[#all + 1] = v end
    want_all = t:get("want") or want_all
    bad_all = bad_all + (t:get("bad") or 0)
  end
  local list, over, slow_conns = {}, 0, 0
  for _, c in pairs(per) do list[#list + 1] = c end
  for _, c in pairs(slowper) do over = over + c; slow_conns = slow_conns + 1 end
  table.sort(list)
  table.sort(all)
  local function pct(p)
    if #all == 0 then return "null" end
    local i = math.max(1, math.ceil(p / 100 * #all))
    return string.format("%.3f", all[i] / 1e3)
  end
  local function at(i) return #list > 0 and tostring(list[i]) or "null" end
  io.write(string.format(
    'C1K {"connections": %d, "conns_seen": %d, "zero_conns": %d, "per_conn_min": %s, "per_conn_median": %s, ' ..
    '"per_conn_max": %s, "responses": %d, "untagged": %d, "over_1s": %d, "slow_conns": %d, "p50_ms": %s, ' ..
    '"p99_ms": %s, "max_ms": %s, "wrk_timeouts": %d, "wrk_p99_ms": %.3f}\n',
    want_all, #list, math.max(0, want_all - #list), at(1), at(math.max(1, math.floor((#list + 1) / 2))), at(#list),
    #all, bad_all, over, slow_conns, pct(50), pct(99), pct(100), summary.errors.timeout,
    latency:percentile(99) / 1e3))
end
