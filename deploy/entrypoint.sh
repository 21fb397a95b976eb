#!/bin/sh
# Every production process (web, worker, beat, the migration job) starts here.
#   1. The system checks (`check --deploy`: Stripe keys, field key, hosts, CSRF origins, email,
#      Redis) refuse a broken configuration before the first request instead of after it.
#   2. With --wait-for-migrations (the Kubernetes web/worker/beat pods), wait until the migration
#      Job of this release has applied every migration the image holds.
#   3. The command runs as PID 1, so it gets SIGTERM directly and drains.
set -e
python manage.py check --deploy --fail-level ERROR
if [ "$1" = "--wait-for-migrations" ]; then
  shift
  until python manage.py migrate --check >/dev/null 2>&1; do
    echo "waiting for the migration job to apply this release's migrations"
    sleep 5
  done
fi
exec "$@"
