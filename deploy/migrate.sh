#!/bin/sh
# The migration step of a release: run once, before the new web/worker pods roll out (the
# Kubernetes Job, the compose `migrate` service). Migrations are expand-only (docs/deploy.md), so
# the previous release keeps working against the migrated schema during the rollout.
set -e
python manage.py migrate --no-input
if [ -n "$STRIPE_WEBHOOK_SECRET" ]; then
  python manage.py stripe_webhook >/dev/null
fi
