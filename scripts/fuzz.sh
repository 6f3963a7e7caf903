#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/fuzz_targets) for a fixed time, seeded from the real-tool
# fixtures and the hostile corpus. A crash fails the run; its input is copied to
# crates/strata-cli/tests/data/fuzz-regressions/, where tests/fuzz_regressions.rs replays it
# (through the same strata_core::fuzzing functions) on every test run from then on.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 30 s, every target)
#
# cargo-fuzz needs nightly features; the stable toolchain is allowed them with RUSTC_BOOTSTRAP=1
# (the only toolchain on the machine; nothing else is fetched).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-30}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(archive layer json tree decode registry snapshot packages)
export RUSTC_BOOTSTRAP=1 PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz 0.13"; then
  cargo install --locked cargo-fuzz --version 0.13.2
fi
REG=$ROOT/crates/strata-cli/tests/data/fuzz-regressions
mkdir -p "$REG"

# Seeds: small real archives and blobs, hostile cases under 1 MB, JSON documents.
C=$ROOT/target/fuzz-corpus
seed() { # seed TARGET FILES...
  local dir=$C/$1; shift; mkdir -p "$dir"
  for f in "$@"; do [[ -f $f && $(stat -c %s "$f") -le 1048576 ]] && cp "$f" "$dir/$(sha256sum "$f" | cut -c1-16)"; done
}
F=$ROOT/target/fixtures/images
blobs=$(mktemp -d)
for a in "$F/layers.oci.tar" "$F/layers.oci-zstd.tar" "$F/multiarch.oci.tar"; do
  [[ -f $a ]] && tar -xf "$a" -C "$blobs" --wildcards 'blobs/sha256/*' 2>/dev/null || true
done
seed archive crates/strata-core/tests/data/*.tar "$ROOT"/target/hostile/*.tar "$F/multiarch.oci.tar" "$F/multiarch.containerd.tar"
seed layer "$blobs"/blobs/sha256/* crates/strata-core/tests/data/*.tar
seed decode "$blobs"/blobs/sha256/*
seed tree crates/strata-core/tests/data/*.tar
seed packages crates/strata-cli/tests/data/fuzz-regressions/packages-*
seed json "$blobs"/blobs/sha256/* "$ROOT"/target/fixtures/oracle/*/skopeo-*.json
# Snapshots of the fixtures, as files and decompressed.
mkdir -p "$C/snapshot"
for a in "$F/layers.oci.tar" "$F/hints.docker.tar" "$F/multiarch.oci.tar"; do
  if [[ -f $a && -x $ROOT/target/debug/strata ]]; then
    s=$(mktemp)
    "$ROOT/target/debug/strata" snapshot "$a" -o "$s" 2>/dev/null || continue
    tail -c +17 "$s" >"$C/snapshot/$(basename "$a").gz"
    tail -c +17 "$s" | gzip -dc >"$C/snapshot/$(basename "$a").postcard" 2>/dev/null || true
    rm -f "$s"
  fi
done
mkdir -p "$C/registry"
# The registry target reads: a flags byte, a length-prefixed text (reference or header), then
# answers (status, headers, body) from the rest.
for s in 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"' \
         'Basic realm="Registry Realm"' 'nginx' 'ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' \
         'localhost:5000/a/b:tag' '</v2/_catalog?last=b&n=2>; rel="next"'; do
  { printf '\x00'; printf "\\x$(printf '%02x' "${#s}")"; printf '%s' "$s"; head -c 512 /dev/urandom; } \
    >"$C/registry/$(printf '%s' "$s" | sha256sum | cut -c1-16)"
done
rm -rf "$blobs"

cd fuzz
cargo fuzz build -O >/dev/null 2>&1 || cargo fuzz build -O
failed=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$C/$t" "artifacts/$t"
  log=$(mktemp)
  if cargo fuzz run -O "$t" "$C/$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $t: ${SECS}s, $runs executions, no crash"
  else
    failed=1
    echo "fuzz $t: CRASH"
    grep -E "ERROR|panicked|SUMMARY" "$log" | head -n 5
    for a in artifacts/"$t"/*; do
      [[ -f $a ]] && cp "$a" "$REG/$t-$(basename "$a")" && echo "  saved $REG/$t-$(basename "$a")"
    done
  fi
  rm -f "$log"
done
exit $failed
