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

# Web Push keys for the patient app's reminders: the environment's, else a demo pair made once
# and kept in var/webpush.env (git-ignored), so that browsers stay subscribed across restarts.
if [ -z "${TOXWATCH_VAPID_PRIVATE_KEY:-}" ]; then
  if [ ! -s var/webpush.env ]; then
    mkdir -p var && "$BIN/python" manage.py webpush_keys > var/webpush.env
  fi
  set -a
  . var/webpush.env
  set +a
fi

if [ -n "${REDIS_URL:-}" ]; then
  echo "REDIS_URL is set: starting a Celery worker and beat."
  "$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 &
  pids+=($!)
  "$BIN/celery" -A config beat --loglevel=INFO --schedule="${TMPDIR:-/tmp}/toxwatch-celerybeat-schedule" &
  pids+=($!)
else
  echo "No REDIS_URL: tasks run in-process (fine for a demo; production needs Redis)."
fi
# ASGI (uvicorn), not runserver: runserver is WSGI, which cannot stream the live queue's
# events (docs/decisions.md). Persistent database connections are off under ASGI, as Django
# asks. DEBUG serves static files through config/asgi.py as runserver did. No proxy is in
# front, so uvicorn must not take the client address from X-Forwarded-For (its default trusts
# it from 127.0.0.1): anyone could then dodge the sign-in lockout (docs/operations.md). Its
# access log is off: Django writes the one line per request (config.requestlog).
addr="${TOXWATCH_ADDR:-127.0.0.1:8000}"
host="${addr%:*}"
# Django answers only the host names it knows (DJANGO_ALLOWED_HOSTS): a specific address given
# here is added to the local ones unless the variable is set.
case "$host" in
  0.0.0.0|"::"|"[::]") host=127.0.0.1 ;;
  localhost|127.0.0.1|"[::1]") ;;
  *) export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],${host}}" ;;
esac
echo "Patient app: http://${host}:${addr##*:}/app/  (enrol DEMO-012 with the code printed above; reminders"
echo "  need REDIS_URL (beat); on a phone, serve over HTTPS: see docs/operations.md)"
DJANGO_CONN_MAX_AGE=0 "$BIN/uvicorn" config.asgi:application --host "${addr%:*}" \
  --port "${addr##*:}" --lifespan off --timeout-graceful-shutdown 3 --no-proxy-headers --no-access-log &
pids+=($!)
wait -n "${pids[@]}"
