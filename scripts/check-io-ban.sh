#!/usr/bin/env bash
# Proves invariant 1 is enforced, not only followed: a copy of the workspace gets a
# `std::fs::read` in strata-core, and clippy (as the test command runs it) must refuse it with
# the `disallowed_methods` lint. Fails if clippy accepts the I/O call.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The sources only (not target/ or node_modules), so the copy is cheap.
tar -C "$ROOT" --exclude=./target --exclude=./dist --exclude=./tests/e2e/node_modules --exclude=./.git -cf - . | tar -C "$WORK" -xf -
cat >>"$WORK/crates/strata-core/src/lib.rs" <<'EOF'

/// Deliberate I/O in the engine: clippy must refuse this.
pub fn io_ban_probe() -> Vec<u8> {
    std::fs::read("/etc/hostname").unwrap_or_default()
}
EOF
for target in "" "--target wasm32-unknown-unknown"; do
  # shellcheck disable=SC2086
  if out=$(cd "$WORK" && CARGO_TARGET_DIR="$ROOT/target" cargo clippy --locked -p strata-core $target -- -D warnings 2>&1); then
    echo "$out" | tail -n 20
    echo "check-io-ban: clippy accepted std::fs::read in strata-core ${target:-natively}: the ban does not hold" >&2
    exit 1
  fi
  if ! grep -q "disallowed" <<<"$out"; then
    echo "$out" | tail -n 20
    echo "check-io-ban: clippy failed, but not because of the disallowed-methods ban" >&2
    exit 1
  fi
  echo "check-io-ban: clippy refuses std::fs::read in strata-core ${target:-natively}:"
  grep -m1 -A3 "disallowed" <<<"$out"
done
