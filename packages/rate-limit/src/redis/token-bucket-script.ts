// Atomic token bucket over several keys, the Lua twin of src/internal/token-bucket.ts.
// ARGV[1] = now in ms, or -1 to read Redis TIME (one clock for every instance sharing the buckets).
// ARGV[2] = 1 consume, 0 peek, 2 adjust (cost is the signed change).
// Then per key: capacity, refill per ms, cost, enforced (1|0).
// Reply: per key allowed (1|0), whole tokens left, retry-after ms, reset ms.

/** The Lua source of the Redis store's atomic multi-bucket token bucket (for audits and SCRIPT LOAD). */
export const TOKEN_BUCKET_SCRIPT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local op = tonumber(ARGV[2])
local eps = 1e-9
local n = #KEYS
local tokens = {}
local stamps = {}
local ok = true
for i = 1, n do
  local b = 2 + (i - 1) * 4
  local cap = tonumber(ARGV[b + 1])
  local rate = tonumber(ARGV[b + 2])
  local cost = tonumber(ARGV[b + 3])
  local st = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tk = cap
  stamps[i] = now
  if st[1] then
    local elapsed = now - tonumber(st[2])
    -- A clock behind the last write (a step back, a skewed instance): no refill, and the later stamp stays.
    if elapsed < 0 then
      elapsed = 0
      stamps[i] = tonumber(st[2])
    end
    tk = tonumber(st[1]) + elapsed * rate
    if tk > cap then tk = cap end
  end
  tokens[i] = tk
  if ARGV[b + 4] == '1' and tk + eps < cost then ok = false end
end
local function wait(tk, target, rate)
  local d = target - tk
  if d <= eps then return 0 end
  return math.ceil(d / rate - eps)
end
local function save(key, tk, cap, rate, ts)
  redis.call('HSET', key, 't', string.format('%.17g', tk), 'ts', string.format('%.17g', ts))
  redis.call('PEXPIRE', key, wait(tk, cap, rate) + 1000)
end
local out = {}
for i = 1, n do
  local b = 2 + (i - 1) * 4
  local cap = tonumber(ARGV[b + 1])
  local rate = tonumber(ARGV[b + 2])
  local cost = tonumber(ARGV[b + 3])
  local tk = tokens[i]
  local allowed = tk + eps >= cost
  local retry = 0
  if op == 2 then
    tk = tk + cost
    if tk > cap then tk = cap end
    if tk < -cap then tk = -cap end
    save(KEYS[i], tk, cap, rate, stamps[i])
    allowed = tk + eps >= 0
  else
    if op == 1 and ok and allowed and cost > 0 then
      tk = tk - cost
      save(KEYS[i], tk, cap, rate, stamps[i])
    end
    if not allowed then retry = wait(tk, cost, rate) end
  end
  out[#out + 1] = allowed and 1 or 0
  out[#out + 1] = math.floor(tk + eps)
  out[#out + 1] = retry
  out[#out + 1] = wait(tk, cap, rate)
end
return out
`;
