-- Mixed load for scripts/load.sh: searches, ad-hoc matches, stored matches and writes.
-- Every thread counts answers by status and the writes it saw acknowledged; done() prints them.
local threads = {}
local queries = {"锂电池", "正极材料", "储能", "人工智能", "新材料", "船舶", "生物医药", "传感器", "氢能", "芯片"}

-- TECHMATCH_LOAD_ADDRS (host:port,host:port…) spreads the threads over several servers, one
-- after the other (scripts/load-replicas.sh); without it every thread uses wrk's URL.
local addrs = {}
for a in (os.getenv("TECHMATCH_LOAD_ADDRS") or ""):gmatch("[^,]+") do
  local host, port = a:match("^(.*):(%d+)$")
  table.insert(addrs, wrk.lookup(host, port)[1])
end

function setup(thread)
  thread:set("id", #threads + 1)
  if #addrs > 0 then thread.addr = addrs[#threads % #addrs + 1] end
  table.insert(threads, thread)
end

function init(args)
  counts, acked, n = {}, 0, 0
  key = os.getenv("TECHMATCH_LOAD_KEY")
end

-- wrk checks each request with an HTTP parser, which takes only ASCII in the target.
local function escape(s)
  return (s:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function headers(extra)
  local h = {["Authorization"] = "Bearer " .. key}
  if extra then h["Content-Type"] = "application/json" end
  return h
end

function request()
  n = n + 1
  local pick = n % 20
  if pick < 10 then
    return wrk.format("GET", "/v1/search?q=" .. escape(queries[n % #queries + 1]) .. "&size=10", headers())
  elseif pick < 14 then
    local body = '{"title":"寻求' .. queries[n % #queries + 1] .. '技术","keywords":["' .. queries[(n + 3) % #queries + 1] .. '"]}'
    return wrk.format("POST", "/v1/match?limit=10", headers(true), body)
  elseif pick < 17 then
    return wrk.format("GET", "/v1/demands/dem-load/matches?limit=10", headers())
  end
  local body = '{"title":"负载写入 ' .. id .. "-" .. n .. ' ' .. queries[n % #queries + 1] .. '","summary":"wrk 负载测试写入"}'
  return wrk.format("PUT", "/v1/achievements/wrk-" .. id .. "-" .. n, headers(true), body)
end

function response(status, hdrs, body)
  counts[status] = (counts[status] or 0) + 1
  if (status == 200 or status == 201) and body:find('^{"id":"wrk%-') then
    acked = acked + 1
  end
end

function done(summary, latency, requests)
  local total, fivexx, writes = {}, 0, 0
  for _, t in ipairs(threads) do
    for status, c in pairs(t:get("counts")) do
      total[status] = (total[status] or 0) + c
      if status >= 500 then fivexx = fivexx + c end
    end
    writes = writes + t:get("acked")
  end
  for status, c in pairs(total) do io.write(string.format("status %d: %d\n", status, c)) end
  io.write(string.format("5xx: %d\nacknowledged writes: %d\n", fivexx, writes))
  io.write(string.format("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
