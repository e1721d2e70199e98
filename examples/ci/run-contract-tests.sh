#!/usr/bin/env bash
# The CI recipe: start apple-music-mock, wait until it is healthy, run a contract suite against
# it with --apple-music-url, save the fake's journal when the suite fails, stop the fake.
#
# Usage: run-contract-tests.sh [--journal FILE] [PYTEST ARGS...]
#
# Without PYTEST ARGS it runs the sample suite next to this script (test_sample_client.py).
# PYTEST ARGS replace it: give your test paths, with any pytest options. Runs from any
# directory. Needs apple-music-mock with its pytest extra: pip install 'apple-music-mock[pytest]'.
#
# Environment (all optional):
#   APPLE_MUSIC_MOCK_CI_DIR       working directory for the port file, server log and journal
#                                 (default: a new mktemp directory, kept for inspection)
#   APPLE_MUSIC_MOCK_JOURNAL      where the journal goes on failure (default: $DIR/journal.json;
#                                 --journal FILE overrides it)
#   APPLE_MUSIC_MOCK_PORT_FILE    the port file (default: $DIR/port)
#   APPLE_MUSIC_MOCK_LOG          the server's output (default: $DIR/server.log)
#   APPLE_MUSIC_MOCK_SERVE_ARGS   extra 'serve' options, split on spaces (e.g. "--config mock.toml")
#   APPLE_MUSIC_MOCK_WAIT_TRIES   health checks 0.1 s apart before giving up (default: 100)
#   APPLE_MUSIC_MOCK_ADMIN_TOKEN  admin token: the server requires it, the plugin and this
#                                 script send it (default: none; the admin API stays on loopback)
#   PYTHON                        the interpreter that has the package (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

journal="${APPLE_MUSIC_MOCK_JOURNAL:-}"
if [[ "${1:-}" == "--journal" ]]; then
    if [[ $# -lt 2 ]]; then
        echo "run-contract-tests.sh: --journal needs a file name" >&2
        exit 2
    fi
    journal="$2"
    shift 2
fi
if [[ $# -gt 0 ]]; then
    pytest_args=("$@")
else
    pytest_args=("$here/test_sample_client.py")
fi

work_dir="${APPLE_MUSIC_MOCK_CI_DIR:-}"
if [[ -z "$work_dir" ]]; then
    work_dir="$(mktemp -d "${TMPDIR:-/tmp}/apple-music-mock-ci.XXXXXX")"
fi
mkdir -p "$work_dir"
port_file="${APPLE_MUSIC_MOCK_PORT_FILE:-$work_dir/port}"
log_file="${APPLE_MUSIC_MOCK_LOG:-$work_dir/server.log}"
journal="${journal:-$work_dir/journal.json}"
tries="${APPLE_MUSIC_MOCK_WAIT_TRIES:-100}"
read -r -a serve_args <<<"${APPLE_MUSIC_MOCK_SERVE_ARGS:-}"

if command -v apple-music-mock >/dev/null 2>&1; then
    mock=(apple-music-mock)
else
    mock=("$python" -m mockserver)
fi

# GET an admin route of the fake (with the admin token when there is one) into a file.
admin_get() { # admin_get URL OUTPUT
    "$python" - "$1" "$2" <<'PY'
import os
import sys
import urllib.request

url, output = sys.argv[1], sys.argv[2]
request = urllib.request.Request(url)
token = os.environ.get("APPLE_MUSIC_MOCK_ADMIN_TOKEN")
if token:
    request.add_header("X-Mock-Admin-Token", token)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
except Exception as error:  # any failure is "not (yet) available"
    sys.stderr.write(f"GET {url}: {error}\n")
    raise SystemExit(1) from None
if output == "-":
    sys.stdout.buffer.write(body)
else:
    with open(output, "wb") as sink:
        sink.write(body)
PY
}

server_pid=""
stop_server() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        # SIGTERM: the fake finishes requests in flight (shutdown_timeout_seconds, 5 s by
        # default), removes its port file and exits 0.
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "run-contract-tests.sh: the fake did not stop within 15 s; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        local stopped=0
        wait "$server_pid" 2>/dev/null || stopped=$?
        if [[ $stopped -ne 0 ]]; then
            echo "run-contract-tests.sh: the fake exited with status $stopped; its log: $log_file" >&2
        fi
    fi
    server_pid=""
    return "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -f "$port_file"
"${mock[@]}" serve --port 0 --port-file "$port_file" ${serve_args[@]+"${serve_args[@]}"} \
    >"$log_file" 2>&1 &
server_pid=$!

url=""
for _ in $(seq "$tries"); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "run-contract-tests.sh: the fake exited before it was ready; its log ($log_file):" >&2
        cat "$log_file" >&2
        exit 1
    fi
    if [[ -s "$port_file" ]]; then
        candidate="http://127.0.0.1:$(<"$port_file")"
        if admin_get "$candidate/_mock/health" - >/dev/null 2>&1; then
            url="$candidate"
            break
        fi
    fi
    sleep 0.1
done
if [[ -z "$url" ]]; then
    echo "run-contract-tests.sh: the fake was not healthy after $tries checks 0.1 s apart" \
        "(GET /_mock/health); its log ($log_file):" >&2
    cat "$log_file" >&2
    exit 1
fi
echo "run-contract-tests.sh: apple-music-mock is ready at $url (log: $log_file)"

status=0
"$python" -m pytest -p no:cacheprovider --apple-music-url "$url" "${pytest_args[@]}" || status=$?

if [[ $status -ne 0 ]]; then
    mkdir -p "$(dirname "$journal")"
    if admin_get "$url/_mock/journal" "$journal"; then
        echo "run-contract-tests.sh: tests failed (exit $status); the fake's journal is in $journal" >&2
    else
        echo "run-contract-tests.sh: tests failed (exit $status); could not fetch the journal" >&2
    fi
fi
exit "$status"
