FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.prod
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEY=dGFiaWItYnVpbGQtb25seS1maWVsZC1rZXktMzJieXQ= ALLOWED_HOSTS=* \
    python manage.py collectstatic --no-input -v 0 && python manage.py compilemessages -v 0 --ignore=.venv
RUN useradd --create-home --uid 10001 tabib && chown -R tabib /app
USER tabib
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
