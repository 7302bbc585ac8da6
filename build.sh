#!/usr/bin/env bash
# The one entry point of micropay.
#   ./build.sh         set-up only: venv, pinned dependencies, CORBA and gRPC stubs (idempotent, quick)
#   ./build.sh run     set up, then start the whole system on embedded defaults
#   ./build.sh test    set up, then run the full test suite (lint included)
#   ./build.sh bench   set up, then run the benchmarks in bench/
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
BUILD="$ROOT/build"
PY="$VENV/bin/python"

say() { printf '[build] %s\n' "$*" >&2; }

need_debian() {  # need_debian PACKAGE WHY: install a Debian package when it is missing
  local pkg=$1 why=$2
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then return 0; fi
  say "installing Debian package '$pkg' ($why)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ ! -f "$BUILD/.apt-updated" ]; then
    $sudo apt-get update -qq >&2 && mkdir -p "$BUILD" && touch "$BUILD/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >&2
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

setup_system() {
  command -v python3 >/dev/null || { say "python3 is required"; exit 1; }
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python 3.11+ is required"; exit 1; }
  python3 -c 'import venv, ensurepip' 2>/dev/null || need_debian python3-venv "to create the virtual environment"
}

setup_test_system() {
  # The suite starts its own throwaway PostgreSQL from the machine's PostgreSQL 15 binaries.
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    need_debian postgresql "PostgreSQL binaries for the ledger's PostgreSQL tests"
  fi
  # The SMPP interop tests run an SMSC built on node-smpp (tests/sms/node_smsc), pinned by its
  # package-lock.json and installed with npm ci (reproducible; re-run when the lock changes).
  command -v node >/dev/null || need_debian nodejs "Node.js for the node-smpp SMSC of tests/sms"
  command -v npm >/dev/null || need_debian npm "npm for the node-smpp SMSC of tests/sms"
  local node_dir="$ROOT/tests/sms/node_smsc" node_want
  node_want=$(hash_of "$node_dir/package-lock.json")
  if [ "$(cat "$node_dir/node_modules/.micropay-lock" 2>/dev/null)" != "$node_want" ]; then
    say "installing the node-smpp test SMSC (npm ci)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$node_want" > "$node_dir/node_modules/.micropay-lock"
  fi
  # The shop's browser tests drive Debian's headless Chromium through Playwright (no download).
  if [ ! -x /usr/bin/chromium ]; then
    need_debian chromium "headless browser for the shop's end-to-end tests (tests/apps/micropay)" || {
      say "could not install chromium: the browser tests in tests/apps/micropay will FAIL;"
      say "install it with: sudo apt-get install -y chromium"
    }
  fi
  # Korean text (잔액, the Korean SMS) needs a CJK font, or the screenshots show empty boxes.
  need_debian fonts-noto-cjk "Korean glyphs in the browser tests' screenshots" || {
    say "could not install fonts-noto-cjk: the Korean glyph test in tests/apps/micropay will FAIL"
  }
}

setup_venv() {
  local stamp="$VENV/.micropay-deps" want
  want=$(hash_of requirements.lock pyproject.toml)
  if [ -x "$PY" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  say "creating .venv and installing pinned dependencies (requirements.lock)"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip >&2 || true
  "$PY" -m pip install -q -r requirements.lock >&2
  "$PY" -m pip install -q --no-deps --no-build-isolation -e . >&2
  echo "$want" > "$stamp"
}

generate_stubs() {
  mkdir -p "$BUILD"
  local want stamp="$BUILD/.stubs"
  want=$(hash_of $(find idl proto -type f \( -name '*.idl' -o -name '*.proto' \) | sort) requirements.lock)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$BUILD/corba" "$BUILD/grpc"; mkdir -p "$BUILD/corba" "$BUILD/grpc"
    mapfile -t idls < <(find idl -name '*.idl' | sort)
    if [ ${#idls[@]} -gt 0 ]; then
      say "generating CORBA stubs from ${#idls[@]} IDL files (omniidl)"
      "$VENV/bin/omniidl" -bpython -Iidl -C"$BUILD/corba" "${idls[@]}"
    fi
    mapfile -t protos < <(find proto -name '*.proto' | sort)
    if [ ${#protos[@]} -gt 0 ]; then
      say "generating gRPC stubs from ${#protos[@]} proto files (grpc_tools.protoc)"
      local inc
      inc=$("$PY" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
      "$PY" -m grpc_tools.protoc -Iproto -I"$inc" --python_out="$BUILD/grpc" --pyi_out="$BUILD/grpc" \
        --grpc_python_out="$BUILD/grpc" "${protos[@]}"
    fi
    echo "$want" > "$stamp"
  fi
  # Make the generated stubs importable from the venv without editing sys.path anywhere.
  local site
  site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  printf '%s\n%s\n' "$BUILD/corba" "$BUILD/grpc" > "$site/micropay-stubs.pth"
}

setup() { setup_system; setup_venv; generate_stubs; }

case "${1:-setup}" in
  setup) setup ;;
  run)
    setup
    shift
    exec "$VENV/bin/micropay" demo "$@"
    ;;
  test)
    setup; setup_test_system
    shift
    say "lint (ruff)"
    "$VENV/bin/ruff" check . >&2
    # Two workers, each taking whole test files (their module fixtures -- gateways, SMSCs -- stay
    # in one worker): the suite spends half its time waiting on processes it started, so on 2
    # CPUs it takes ~7 minutes instead of ~13. MICROPAY_TEST_WORKERS=0 runs it in one process.
    workers="${MICROPAY_TEST_WORKERS:-2}"
    say "tests (pytest, $workers workers)"
    if [ "$workers" = "0" ]; then
      exec "$PY" -m pytest -q "$@"
    fi
    exec "$PY" -m pytest -q -n "$workers" --dist loadfile "$@"
    ;;
  bench)
    setup; setup_test_system
    shift
    exec "$PY" -m bench "$@"
    ;;
  *) echo "usage: $0 [setup|run|test|bench]" >&2; exit 2 ;;
esac
