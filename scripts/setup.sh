#!/usr/bin/env bash
# Installs what Strata needs on a fresh Debian machine with rustup, offline except for the
# package registries (apt, crates.io, npm): nothing is downloaded from GitHub. Idempotent:
# every step is skipped when the exact version is already present.
#
#   scripts/setup.sh app     the toolchain to build and serve the web app
#   scripts/setup.sh test    that, plus what the tests need (image tools, registry, Playwright)
#
# Then `source target/tools/env.sh` puts the pinned tools first on PATH.
set -euo pipefail

MODE=${1:-app}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRUNK_VERSION=0.21.14        # 0.22 needs rustc >= 1.96.1
BINARYEN_NPM_VERSION=132.0.0 # Debian's binaryen 108 cannot parse today's wasm
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, or Trunk refuses offline.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
TOOLS_DIR="$ROOT/target/tools"
BIN_DIR="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
REG_SRC="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export PATH="$BIN_DIR:$HOME/.cargo/bin:$PATH"

step() { local label=$1; shift; local s=$SECONDS; echo "[setup] $label"; "$@"; echo "[setup] $label: $((SECONDS - s)) s"; }
have_version() { local out; out=$("$1" --version 2>/dev/null | head -n1 || true); [[ "$out" == "$2" ]]; }

# --- Debian packages ---------------------------------------------------------------------------
APT=(chromium chromium-driver)
if [[ $MODE == test ]]; then
  # Real image tools for the fixtures, the registry, and the benchmark's baselines; for strata
  # serve's tests, network namespaces (unshare from util-linux, ip from iproute2) and wrk for
  # scripts/soak.sh.
  APT+=(skopeo umoci buildah podman runc containerd docker-registry busybox-static jq zstd pigz
        apache2-utils python3 python3-venv openssl time hyperfine curl docker.io util-linux iproute2 wrk)
  # The package tests' package managers (scripts/package-fixtures.sh): debootstrap for a
  # Debian base, rpm and rpmbuild, Go, a JDK's javac and jar, unzip.
  APT+=(debootstrap rpm golang-go unzip)
  command -v javac >/dev/null || APT+=(default-jdk-headless)
fi
missing=()
for p in "${APT[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  step "apt-get update" $SUDO apt-get update -q
  step "apt-get install ${missing[*]}" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "[setup] apt packages present"
fi

# --- Rust: wasm target and components ------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi
for c in clippy rustfmt; do
  rustup component list --installed | grep -q "^$c" || step "rustup component add $c" rustup component add "$c"
done

# --- trunk ---------------------------------------------------------------------------------
if have_version "$BIN_DIR/trunk" "trunk $TRUNK_VERSION"; then
  echo "[setup] trunk $TRUNK_VERSION present"
else
  step "cargo install trunk $TRUNK_VERSION" cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# --- wasm-bindgen-cli (wasm-bindgen, wasm-bindgen-test-runner) -----------------------------
install_wbg() {
  if cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; then return 0; fi
  # The registry mirror lacks webpki-roots 1.0.11, which the published lockfile pins: patch
  # the unpacked copy's lockfile and install from it.
  echo "[setup] locked install failed; retrying with webpki-roots pinned to 1.0.10"
  local src; src=$(ls -d "$REG_SRC"/*/"wasm-bindgen-cli-$WASM_BINDGEN_VERSION" 2>/dev/null | head -n1 || true)
  [[ -n "$src" ]] || return 1
  local work; work=$(mktemp -d); cp -r "$src" "$work/"
  (cd "$work/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --locked --path .)
  local rc=$?; rm -rf "$work"; return $rc
}
if have_version "$BIN_DIR/wasm-bindgen" "wasm-bindgen $WASM_BINDGEN_VERSION" &&
   have_version "$BIN_DIR/wasm-bindgen-test-runner" "wasm-bindgen-test-runner $WASM_BINDGEN_VERSION"; then
  echo "[setup] wasm-bindgen-cli $WASM_BINDGEN_VERSION present"
else
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION" install_wbg
fi

# --- wasm-opt (binaryen from npm) --------------------------------------------------------------
mkdir -p "$TOOLS_DIR"
if have_version "$TOOLS_DIR/node_modules/.bin/wasm-opt" "wasm-opt version ${BINARYEN_NPM_VERSION%%.*} (version_${BINARYEN_NPM_VERSION%%.*})"; then
  echo "[setup] wasm-opt (binaryen $BINARYEN_NPM_VERSION) present"
else
  [[ -f "$TOOLS_DIR/package.json" ]] || echo '{"name":"strata-tools","private":true}' >"$TOOLS_DIR/package.json"
  step "npm install binaryen@$BINARYEN_NPM_VERSION" \
    npm install --prefix "$TOOLS_DIR" --save-exact --no-audit --no-fund "binaryen@$BINARYEN_NPM_VERSION"
fi

# --- Playwright (playwright-core only: it never downloads a browser) -------------------------
if [[ $MODE == test ]]; then
  # Every devDependency at its pinned version, or `npm ci` (playwright-core, dockerfile-utils).
  want=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["devDependencies"]; print(" ".join(f"{k}@{v}" for k,v in sorted(d.items())))' "$ROOT/tests/e2e/package.json")
  have=$(python3 -c 'import json,sys,os
d=json.load(open(sys.argv[1]))["devDependencies"]
out=[]
for k in sorted(d):
    try: out.append(k+"@"+json.load(open(os.path.join(sys.argv[2],k,"package.json")))["version"])
    except OSError: out.append(k+"@none")
print(" ".join(out))' "$ROOT/tests/e2e/package.json" "$ROOT/tests/e2e/node_modules" 2>/dev/null || true)
  if [[ "$have" == "$want" ]]; then
    echo "[setup] e2e packages present ($want)"
  else
    step "npm ci (tests/e2e)" npm ci --prefix "$ROOT/tests/e2e" --no-audit --no-fund
  fi
fi

# --- Python packages for the supply-chain fixtures (PyPI: securesystemslib, in-toto-attestation, and oras,
# the OCI artifact client the tests push referrers with), in their own venv
if [[ $MODE == test ]]; then
  step "python venv (supply-chain fixtures)" "$ROOT/scripts/supply-chain-fixtures.sh" venv
fi

# --- the package tests: cargo auditable and an independent reader of what it embeds, and the
# SBOM validators from PyPI (a venv under ~/.cache/strata, scripts/sbom-validators.sh) -------
if [[ $MODE == test ]]; then
  for tool in cargo-auditable:0.7.7 rust-audit-info:0.5.4; do
    name=${tool%%:*} version=${tool##*:}
    if cargo install --list 2>/dev/null | grep -q "^$name v$version:"; then
      echo "[setup] $name $version present"
    else
      step "cargo install $name $version" cargo install --locked "$name" --version "$version"
    fi
  done
  step "SBOM validators (spdx-tools, cyclonedx-python-lib, packageurl-python)" "$ROOT/scripts/sbom-validators.sh" >/dev/null
fi

cat >"$TOOLS_DIR/env.sh" <<ENV
# source me: npm's wasm-opt must shadow Debian's /usr/bin/wasm-opt (version 108, too old)
export PATH="$TOOLS_DIR/node_modules/.bin:$BIN_DIR:\$HOME/.cargo/bin:\$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=\${WASM_BINDGEN_TEST_TIMEOUT:-600}
ENV
step "cargo fetch" cargo fetch --manifest-path "$ROOT/Cargo.toml" --quiet
echo "[setup] done ($MODE)"
