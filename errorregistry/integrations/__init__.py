"""Optional integrations (OpenTelemetry, Sentry, Celery): each a no-op when its library is absent."""
