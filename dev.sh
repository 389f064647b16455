#!/usr/bin/env bash
# nato-tm developer entry point.
#   ./dev.sh serve   install everything, load the shipped data into the SQLite default, serve
#   ./dev.sh test    install everything (Debian packages included), run ruff, mypy and the tests
# Environment: NATO_TM_VENV (default .venv), PORT (default 5000), NATO_TM_TEST_PG_URL (tests on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${NATO_TM_VENV:-.venv}

python_bin() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then echo "$candidate"; return; fi
  done
  echo "dev.sh: Python 3.11 or newer is needed" >&2; exit 1
}

apt_install() {  # install the Debian packages given that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "dev.sh: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_python() {  # $1: the pip extra to install, or empty
  [ -x "$VENV/bin/python" ] || "$(python_bin)" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # A plain, non-editable install: the tests check the package as users get it.
  "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .
  "$VENV/bin/python" -m pip install -q ".${1:+[$1]}"
}

pg_url() {  # the local PostgreSQL server the tests use, when it answers
  local url=${NATO_TM_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}
  if "$VENV/bin/python" -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$url" 2>/dev/null; then
    echo "$url"
  fi
}

cmd_serve() {
  setup_python ""
  "$VENV/bin/nato-tm" init
  exec "$VENV/bin/nato-tm" serve --port "${PORT:-5000}"
}

cmd_test() {
  apt_install chromium fonts-dejavu-core
  setup_python test
  # Tests run the installed console script `nato-tm` as a user would.
  PATH="$(cd "$VENV" && pwd)/bin:$PATH"; export PATH
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  local pg; pg=$(pg_url)
  if [ -n "$pg" ]; then export NATO_TM_TEST_PG_URL="$pg"; echo "dev.sh: tests run on SQLite and on PostgreSQL ($pg)"
  else echo "dev.sh: no PostgreSQL server answered; tests run on SQLite only" >&2; fi
  "$VENV/bin/ruff" check src tests bench
  "$VENV/bin/ruff" format --check src tests bench
  "$VENV/bin/mypy"
  set +e
  "$VENV/bin/python" -m pytest "$@"
  local rc=$?
  set -e
  if [ $rc -eq 5 ]; then
    echo "dev.sh: pytest collected no tests: that is a failure, not a pass" >&2
    exit 1
  fi
  exit $rc
}

case "${1:-}" in
  serve) shift; cmd_serve "$@" ;;
  test) shift; cmd_test "$@" ;;
  *) echo "usage: ./dev.sh serve | test [pytest args]" >&2; exit 2 ;;
esac
