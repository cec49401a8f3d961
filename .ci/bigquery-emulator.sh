#!/usr/bin/env bash
# BigQuery emulator for tests: local-bigquery in its own Python 3.13 venv, DuckDB extensions pre-installed
# from PyPI packages (the emulator must never download them; there is no network here but PyPI).
#
#   .ci/bigquery-emulator.sh install                      idempotent: venv + pinned packages + extensions
#   .ci/bigquery-emulator.sh start [PORT GRPC_PORT DIR]    install if needed, serve in the background, wait
#   .ci/bigquery-emulator.sh stop [DIR]                    stop the server started with that data dir
#
# Env: DALGO_BQ_EMULATOR_HOME (default ~/.cache/dalgo/bq-emulator) holds the venv and the emulator's HOME.
set -euo pipefail

EMU_HOME="${DALGO_BQ_EMULATOR_HOME:-$HOME/.cache/dalgo/bq-emulator}"
VENV="$EMU_HOME/venv"
STAMP="$VENV/.dalgo-installed-v1"
# local-bigquery 0.4.0 fails offline; duckdb 1.5.5 is the newest with pip-installable extensions.
PACKAGES=(
  local-bigquery==0.3.2 duckdb==1.5.5 duckdb-extensions==1.5.5
  duckdb-extension-ducklake==1.5.5 duckdb-extension-icu==1.5.5 duckdb-extension-spatial==1.5.5
  duckdb-extension-fts==1.5.5 duckdb-extension-vss==1.5.5 duckdb-extension-iceberg==1.5.5
  duckdb-extension-avro==1.5.5 duckdb-extension-httpfs==1.5.5
)
EXTENSIONS=(ducklake icu spatial fts vss iceberg avro httpfs)

log() { echo "[bq-emulator] $*" >&2; }

make_venv() {
  if PYENV_VERSION=3.13.0 python3.13 --version >/dev/null 2>&1; then
    PYENV_VERSION=3.13.0 python3.13 -m venv "$VENV"
  elif command -v uv >/dev/null 2>&1; then
    uv venv --seed --python 3.13 "$VENV"
  else
    log "needs Python 3.13 (pyenv python3.13 or uv)"; exit 2
  fi
}

install() {
  [[ -f "$STAMP" ]] && return 0
  log "installing into $VENV"
  mkdir -p "$EMU_HOME/home"
  [[ -x "$VENV/bin/python" ]] || make_venv
  if command -v uv >/dev/null 2>&1; then
    uv pip install --quiet --python "$VENV/bin/python" "${PACKAGES[@]}"
  else
    "$VENV/bin/python" -m pip install --quiet "${PACKAGES[@]}"
  fi
  # Copy the extension binaries into the emulator's HOME (~/.duckdb) so DuckDB loads them without downloading.
  HOME="$EMU_HOME/home" "$VENV/bin/python" - "${EXTENSIONS[@]}" <<'PY'
import sys
import duckdb
import duckdb_extensions

con = duckdb.connect()
for name in sys.argv[1:]:
    try:
        duckdb_extensions.import_extension(name, con=con)
    except Exception as err:  # built-in ones (json, parquet) have no package: fine
        print(f"[bq-emulator] skip {name}: {err}", file=sys.stderr)
PY
  touch "$STAMP"
}

wait_ready() {
  local port="$1" pid="$2" log_file="$3"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server exited early; log follows"; cat "$log_file" >&2; return 1
    fi
    if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/bigquery/v2/projects/local/datasets', timeout=1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  log "server did not answer on port $port within 60 s"; cat "$log_file" >&2; return 1
}

start() {
  local port="${1:-9050}" grpc="${2:-9060}" dir="${3:-$EMU_HOME/data}"
  install
  mkdir -p "$dir"
  if [[ -f "$dir/emulator.pid" ]] && running "$(cat "$dir/emulator.pid")"; then
    log "already running (pid $(cat "$dir/emulator.pid"))"; return 0
  fi
  HOME="$EMU_HOME/home" nohup "$VENV/bin/local-bigquery" serve --host 127.0.0.1 --port "$port" \
    --grpc-port "$grpc" --data-dir "$dir" >"$dir/emulator.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/emulator.pid"
  wait_ready "$port" "$pid" "$dir/emulator.log" || { kill "$pid" 2>/dev/null || true; rm -f "$dir/emulator.pid"; exit 1; }
  log "ready on http://127.0.0.1:$port (pid $pid)"
}

running() {  # alive and not a zombie waiting for its (re)parent to reap it
  kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}

stop() {
  local dir="${1:-$EMU_HOME/data}" pid
  [[ -f "$dir/emulator.pid" ]] || return 0
  pid="$(cat "$dir/emulator.pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do running "$pid" || break; sleep 0.25; done
  if running "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$dir/emulator.pid"
}

case "${1:-install}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 install|start [PORT GRPC_PORT DIR]|stop [DIR]" >&2; exit 2 ;;
esac
