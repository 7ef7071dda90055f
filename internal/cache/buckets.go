package cache

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// takeScript spends one token of a token bucket kept in a Redis hash (tokens, at), refilled
// at ARGV[1] tokens a second up to ARGV[2], on Redis's own clock, so that every replica
// spends from the same bucket. It answers {1, "0"} when a token was spent, else {0, seconds
// until one is there}. The hash expires once it would be full again.
var takeScript = redis.NewScript(`
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local ok, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {ok, tostring(wait)}
`)

// bucketPrefix keeps the buckets apart from cached answers.
const bucketPrefix = "techmatch:bucket:"

// Take spends one token of the bucket named caller (rate tokens a second, at most burst),
// shared by every process on this Redis: ok false says how long until a token is there.
func (r *Redis) Take(ctx context.Context, caller string, rate, burst float64) (ok bool, wait time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := takeScript.Run(ctx, r.client, []string{bucketPrefix + caller},
		strconv.FormatFloat(rate, 'g', -1, 64), strconv.FormatFloat(burst, 'g', -1, 64)).Slice()
	if err != nil {
		return false, 0, fmt.Errorf("cache: redis bucket %s: %w", caller, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("cache: redis bucket %s: answer %v", caller, res)
	}
	n, _ := res[0].(int64)
	secs, _ := strconv.ParseFloat(fmt.Sprint(res[1]), 64)
	return n == 1, time.Duration(secs * float64(time.Second)), nil
}
