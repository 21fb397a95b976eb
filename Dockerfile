# One image for every process (web, worker, beat, migration job); the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.prod
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files and catalogs are built into the image (the manifest /health/ready looks for). The
# values below only let the production settings load for these two commands: they are not kept in
# the image's environment, and no command here connects to them. Real ones come at run time.
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=dGFiaWItYnVpbGQtb25seS1maWVsZC1rZXktMzJieXQ= \
    ALLOWED_HOSTS=build.invalid DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build.invalid:6379/0 \
    sh -c 'python manage.py collectstatic --no-input -v 0 && python manage.py compilemessages -v 0 --ignore=.venv' \
    && test -f staticfiles/staticfiles.json
# Non-root, and nothing under /app writable: uploads go to MEDIA_ROOT (a volume), temp files to /tmp.
RUN useradd --no-create-home --uid 10001 tabib && mkdir -p /data/media && chown tabib /data/media
ENV MEDIA_ROOT=/data/media
USER 10001
EXPOSE 8000
ENTRYPOINT ["deploy/entrypoint.sh"]
# Twisted listens with a backlog of 50: a burst of connections beyond it is dropped by the kernel and
# reset about 30 s later (docs/deploy.md, "Listen backlog"). 1024 queues a burst instead.
CMD ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=1024", "config.asgi:application"]
