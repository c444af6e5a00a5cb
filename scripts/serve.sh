#!/usr/bin/env bash
# Serve ToxWatch for `make run`. With REDIS_URL set, also start a Celery worker and beat.
# Ctrl-C stops everything this script started.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap stop INT TERM EXIT

if [ -n "${REDIS_URL:-}" ]; then
  echo "REDIS_URL is set: starting a Celery worker and beat."
  "$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 &
  pids+=($!)
  "$BIN/celery" -A config beat --loglevel=INFO --schedule="${TMPDIR:-/tmp}/toxwatch-celerybeat-schedule" &
  pids+=($!)
else
  echo "No REDIS_URL: tasks run in-process (fine for a demo; production needs Redis)."
fi
"$BIN/python" manage.py runserver "${TOXWATCH_ADDR:-127.0.0.1:8000}" &
pids+=($!)
wait -n "${pids[@]}"
