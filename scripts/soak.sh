#!/usr/bin/env bash
# A bounded soak of `strata serve` (release build) with Debian's wrk: REQUESTS (10,000) mixed
# static and proxied requests from CLIENTS (64) keep-alive connections, the proxied ones to the
# open test registry (scripts/registry.sh). Prints requests, errors, latency percentiles and the
# server's RSS after a warm-up and after the run; exits 1 on any error or on memory growth over
# 8 MiB. Bounded in count and in time (wrk runs for its -d, 60 s, whatever; its threads stop
# at their share of REQUESTS); only 127.0.0.1 is talked to.
#
#   scripts/soak.sh                 (STRATA_BIN=… to use another strata binary)
#
# `cargo test -p strata-cli --test soak` runs the same mix with a Rust client against the debug
# build, as part of the test command.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REQUESTS=${REQUESTS:-10000}
CLIENTS=${CLIENTS:-64}
THREADS=${THREADS:-4}
WARM_UP=1000
W=$ROOT/target/soak
note() { printf '[soak] %s\n' "$*" >&2; }

command -v wrk >/dev/null || { note "wrk is not installed (scripts/setup.sh test)"; exit 1; }
eval "$(scripts/registry.sh start)"
REG=$STRATA_REGISTRY_OPEN
if [[ -z ${STRATA_BIN:-} ]]; then
  note "cargo build --profile release-cli -p strata-cli"
  cargo build --profile release-cli --locked -q -p strata-cli
  STRATA_BIN=$ROOT/target/release-cli/strata
fi

rm -rf "$W" && mkdir -p "$W/dist"
echo '<!doctype html><title>soak</title>' >"$W/dist/index.html"
python3 -c 'import sys; sys.stdout.write("console.log(\"strata\");\n" * 8000)' >"$W/dist/app.js"
head -c $((2 << 20)) /dev/zero >"$W/dist/sample.tar"

ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
MANIFEST=$(curl -sf -H "Accept: $ACCEPT" "http://$REG/v2/strata/layers/manifests/oci")
CONFIG=$(jq -r .config.digest <<<"$MANIFEST")
LAYER=$(jq -r '.layers[0].digest' <<<"$MANIFEST")

"$STRATA_BIN" serve --addr 127.0.0.1:0 --dist "$W/dist" --allow-registry "$REG" >"$W/serve.out" 2>"$W/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'http://' "$W/serve.out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(grep -o 'http://[0-9.:]*' "$W/serve.out" | head -1)
[[ -n $ADDR ]] || { note "strata serve did not start"; cat "$W/serve.log" >&2; exit 1; }
ETAG=$(curl -sf -o /dev/null -D - "$ADDR/app.js" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}')

P="/proxy/http/$REG"
cat >"$W/soak.lua" <<LUA
-- The mix: half static (index, gzip, 304, a streamed 2 MiB file, the proxy's probe), half
-- proxied (manifest, config blob, a 64 KiB layer range, tags, the version check).
local cases = {
  { "/", { ["Accept-Encoding"] = "gzip" } },
  { "$P/v2/strata/layers/manifests/oci", { ["Accept"] = "$ACCEPT" } },
  { "/app.js", { ["Accept-Encoding"] = "gzip" } },
  { "$P/v2/strata/layers/blobs/$CONFIG", {} },
  { "/app.js", { ["If-None-Match"] = '$ETAG' } },
  { "$P/v2/strata/layers/blobs/$LAYER", { ["Range"] = "bytes=0-65535" } },
  { "/sample.tar", {} },
  { "$P/v2/strata/layers/tags/list", {} },
  { "/proxy", {} },
  { "$P/v2/", {} },
}
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
-- wrk's own duration is its -d (it sleeps that long whatever its threads do): each thread
-- notes when it started and when it had its last answer, from the wall clock.
local function now() local p = io.popen("date +%s.%N"); local t = tonumber(p:read("*l")); p:close(); return t end
function init(args)
  limit = tonumber(args[1]); sent = 0; got = 0; bad = 0
  i = id -- threads start at different cases
  first = now(); last = first
end
function request()
  i = i + 1; sent = sent + 1
  local c = cases[(i % #cases) + 1]
  return wrk.format("GET", c[1], c[2])
end
function response(status, headers, body)
  got = got + 1
  if status ~= 200 and status ~= 206 and status ~= 304 then bad = bad + 1 end
  if got >= limit then last = now(); wrk.thread:stop() end
end
function done(summary, latency, requests)
  local bad, got, first, last = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("bad"); got = got + t:get("got")
    first = math.min(first, t:get("first")); last = math.max(last, t:get("last"))
  end
  local e = summary.errors
  io.write(string.format("SOAK responses=%d bad_status=%d socket_errors=%d timeouts=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f seconds=%.2f\n",
    got, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, last - first))
end
LUA

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$PID/status"; }
soak() { # requests
  wrk -t"$THREADS" -c"$CLIENTS" -d"$2" --timeout 10s --latency -s "$W/soak.lua" "$ADDR" -- $(($1 / THREADS))
}
note "warm-up: $WARM_UP requests"
soak "$WARM_UP" 10s >"$W/warm.txt"
BEFORE=$(rss)
note "soak: $REQUESTS requests from $CLIENTS connections"
soak "$REQUESTS" "${SECONDS_MAX:-60}s" | tee "$W/wrk.txt"
AFTER=$(rss)
PEAK=$(hwm)
LINE=$(grep '^SOAK ' "$W/wrk.txt")
val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$LINE"; }
echo
echo "soak: $(val responses) responses from $CLIENTS connections in $(val seconds) s ($(python3 -c "print(round($(val responses) / $(val seconds)))")/s): $(val bad_status) bad statuses, $(val socket_errors) socket errors, $(val timeouts) timeouts"
echo "soak: latency p50 $(val p50_ms) ms, p90 $(val p90_ms) ms, p99 $(val p99_ms) ms, max $(val max_ms) ms"
echo "soak: strata serve RSS $BEFORE KiB after the warm-up, $AFTER KiB after the soak, peak $PEAK KiB"
fail=0
[[ $(val bad_status) == 0 && $(val socket_errors) == 0 && $(val timeouts) == 0 ]] || { note "errors"; fail=1; }
(($(val responses) >= REQUESTS)) || { note "only $(val responses) of $REQUESTS answered"; fail=1; }
((AFTER < BEFORE + 8192)) || { note "memory grew from $BEFORE to $AFTER KiB"; fail=1; }
exit $fail
