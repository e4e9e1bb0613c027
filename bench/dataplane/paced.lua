-- wrk script for bench/dataplane/run.sh --rate: a fixed request rate (wrk2-style), latency from the intended send
-- time. Run with as many threads as connections (wrk -tN -cN), so that each thread's Lua state drives exactly one
-- connection:
--
--   wrk -t16 -c16 -d5s -s paced.lua http://HOST:PORT/ -- RATE_PER_CONNECTION
--
-- Each connection has its own schedule: slot k at t0 + phase + k / rate (the 16 connections' phases spread over one
-- interval). delay() makes wrk wait until the next slot (whole milliseconds, rounded down: wrk's timer takes ms, so
-- a request goes out up to 1 ms early, never late because of rounding). A request that could not go out on time,
-- because the previous response on its connection had not come back yet, goes out as soon as it has, and its
-- latency is counted from the slot it was meant for, not from when it went out: that is what a client sending at a
-- fixed rate would have seen (coordinated omission corrected per connection, as wrk2 does). Latency of a request
-- sent early is counted from when it was sent. done() prints one line "PACED {json}".
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } fiberlb_paced_timespec;
int clock_gettime(int clk_id, fiberlb_paced_timespec *tp);
]]
local ts = ffi.new("fiberlb_paced_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

-- main state: number the threads (each thread's state reads its id in init)
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- thread state
local interval, t0, slot_n, intended, sent
-- globals, read by done() through thread:get:
lat = {}  -- per response, µs from the intended (or, if earlier, the actual) send time to the response
late = 0  -- requests that went out more than 1 ms after their slot
local req

function init(args)
  local rate = tonumber(args[1])
  if not rate or rate <= 0 then error("paced.lua: give the rate per connection: -- RATE") end
  interval = 1e6 / rate
  local nthreads = tonumber(args[2]) or 1
  -- 200 ms for the connection to open, then this connection's phase within one interval
  t0 = now_us() + 200e3 + interval * ((id or 0) % nthreads) / nthreads
  slot_n = 0
  req = wrk.format("GET", "/")
end

function delay()
  local slot = t0 + slot_n * interval
  slot_n = slot_n + 1
  intended = slot
  local d = (slot - now_us()) / 1e3
  if d <= 0 then return 0 end
  return math.floor(d)
end

function request()
  sent = now_us()
  if intended and sent - intended > 1e3 then late = late + 1 end
  return req
end

function response(status, headers, body)
  local start = sent
  if intended and intended < start then start = intended end
  lat[#lat + 1] = now_us() - start
end

function done(summary, latency, requests)
  local all, late_total = {}, 0
  for _, t in ipairs(threads) do
    for _, v in ipairs(t:get("lat") or {}) do all[#all + 1] = v end
    late_total = late_total + (t:get("late") or 0)
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return nil end
    local i = math.ceil(p / 100 * #all)
    if i < 1 then i = 1 end
    return all[i] / 1e3
  end
  local function num(v) return v == nil and "null" or string.format("%.3f", v) end
  local e = summary.errors
  io.write(string.format(
    'PACED {"responses": %d, "late_sends": %d, "p50_ms": %s, "p90_ms": %s, "p99_ms": %s, "p999_ms": %s, ' ..
    '"max_ms": %s, "wrk_p99_ms": %s, "duration_s": %.3f, "errors": %d}\n',
    #all, late_total, num(pct(50)), num(pct(90)), num(pct(99)), num(pct(99.9)), num(pct(100)),
    num(latency:percentile(99) / 1e3), summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout))
end
