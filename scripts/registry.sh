#!/usr/bin/env bash
# Test registries: two instances of Debian's `docker-registry` (the CNCF distribution server)
# on 127.0.0.1, with config files written here, and the fixture images pushed to both with
# `skopeo copy`.
#
#   open  127.0.0.1:$STRATA_REGISTRY_OPEN_PORT (5101)  anonymous, sends CORS headers
#   auth  127.0.0.1:$STRATA_REGISTRY_AUTH_PORT (5102)  htpasswd (strata / s3cret-pa55), no CORS
# (a free port instead when another program holds the default one)
#
# Usage: scripts/registry.sh start   starts both (if not running) and pushes (if not pushed);
#                                     prints `export` lines for the addresses
#        scripts/registry.sh stop
# Idempotent: tests that need the registries call `start` themselves, so `cargo test` works on
# its own too. Logs go to target/registry/<name>.log (tests grep them).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${STRATA_REGISTRY_DIR:-$ROOT/target/registry}
FIX=${STRATA_FIXTURES:-$ROOT/target/fixtures/images}
OPEN_PORT=${STRATA_REGISTRY_OPEN_PORT:-5101}
AUTH_PORT=${STRATA_REGISTRY_AUTH_PORT:-5102}
USER_NAME=strata
USER_PASS=s3cret-pa55
mkdir -p "$DIR"

log() { echo "[registry] $*" >&2; }

# Images pushed to both registries: NAME:TAG <- transport:path (and --all for indexes).
PUSHES=(
  "layers:oci oci-archive:$FIX/layers.oci.tar"
  "layers:zstd oci-archive:$FIX/layers.oci-zstd.tar"
  "layers:docker docker-archive:$FIX/layers.docker.tar"
  "multiarch:latest oci-archive:$FIX/multiarch.oci.tar"
  "waste:3 docker-archive:$FIX/waste3.docker.tar"
)

config() { # name port cors?
  local name=$1 port=$2 cors=$3
  cat >"$DIR/$name.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DIR/$name-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: strata-test-only
EOF
  if [ "$cors" = cors ]; then
    cat >>"$DIR/$name.yml" <<'EOF'
  headers:
    Access-Control-Allow-Origin: ["*"]
    Access-Control-Allow-Methods: ["GET", "HEAD", "OPTIONS"]
    Access-Control-Allow-Headers: ["Authorization", "Accept", "Range"]
    Access-Control-Expose-Headers: ["Docker-Content-Digest", "WWW-Authenticate", "Content-Length", "Content-Range", "Content-Type", "Link"]
EOF
  else
    cat >>"$DIR/$name.yml" <<EOF
auth:
  htpasswd:
    realm: strata-test
    path: $DIR/htpasswd
EOF
  fi
}

up() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/" 2>/dev/null || true; }

start_one() { # name port cors?
  local name=$1 port=$2
  config "$@"
  docker-registry serve "$DIR/$name.yml" >>"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  for _ in $(seq 100); do
    case "$(up "$port")" in 200 | 401) return 0 ;; esac
    sleep 0.1
  done
  log "$name registry did not start on 127.0.0.1:$port; its log:"
  tail -20 "$DIR/$name.log" >&2
  exit 1
}

push_all() { # port creds name
  local port=$1 creds=${2:-} name=$3
  local stamp="$DIR/pushed-$name"
  [ -f "$stamp" ] && return 0
  for p in "${PUSHES[@]}"; do
    local ref=${p%% *} src=${p#* } all=()
    [[ $ref == multiarch:* ]] && all=(--all)
    [ -e "${src#*:}" ] || { log "missing fixture ${src#*:} (run scripts/fixtures.sh)"; exit 1; }
    local c=()
    [ -n "$creds" ] && c=(--dest-creds "$creds")
    # zstd stays zstd, gzip stays gzip: no conversion, so manifests keep their digests.
    skopeo copy -q "${all[@]}" "${c[@]}" --dest-tls-verify=false --preserve-digests \
      "$src" "docker://127.0.0.1:$port/strata/$ref" >&2 ||
      skopeo copy -q "${all[@]}" "${c[@]}" --dest-tls-verify=false \
        "$src" "docker://127.0.0.1:$port/strata/$ref" >&2
  done
  touch "$stamp"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
taken() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ours() { # name port: our instance answers there
  [[ -f "$DIR/$1.pid" && -f "$DIR/$1.port" ]] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null &&
    [[ $(cat "$DIR/$1.port") == "$2" ]] && [[ $(up "$2") =~ ^(200|401)$ ]]
}

case "${1:-start}" in
  start)
    command -v docker-registry >/dev/null || { log "docker-registry is not installed (scripts/setup.sh test)"; exit 1; }
    [ -f "$DIR/htpasswd" ] || htpasswd -Bbn "$USER_NAME" "$USER_PASS" >"$DIR/htpasswd"
    # Reuse our running instances; otherwise start them, on the default ports when free (a
    # port another program holds, another checkout's registry say, means a free one instead).
    for name in open auth; do
      port_var=${name^^}_PORT
      if [[ -f "$DIR/$name.port" ]] && ours "$name" "$(cat "$DIR/$name.port")"; then
        printf -v "$port_var" '%s' "$(cat "$DIR/$name.port")"
        continue
      fi
      [[ -f "$DIR/$name.pid" ]] && kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
      rm -rf "$DIR/$name-data" "$DIR/$name.pid" "$DIR"/pushed-"$name"
      if taken "${!port_var}"; then printf -v "$port_var" '%s' "$(free_port)"; fi
      echo "${!port_var}" >"$DIR/$name.port"
      if [[ $name == open ]]; then start_one open "$OPEN_PORT" cors; else start_one auth "$AUTH_PORT" auth; fi
    done
    push_all "$OPEN_PORT" "" open
    push_all "$AUTH_PORT" "$USER_NAME:$USER_PASS" auth
    echo "export STRATA_REGISTRY_OPEN=127.0.0.1:$OPEN_PORT"
    echo "export STRATA_REGISTRY_AUTH=127.0.0.1:$AUTH_PORT"
    echo "export STRATA_REGISTRY_USER=$USER_NAME"
    echo "export STRATA_REGISTRY_PASS=$USER_PASS"
    echo "export STRATA_REGISTRY_LOGS=$DIR"
    ;;
  stop)
    for name in open auth; do
      if [ -f "$DIR/$name.pid" ]; then
        kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
        rm -f "$DIR/$name.pid"
      fi
    done
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
