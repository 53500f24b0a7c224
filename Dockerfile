# Production image: docker build -t clientela . && docker run -p 8000:8000 clientela
# The production shape (API, email worker, inbound listener, PostgreSQL, S3 storage): deploy/compose.yaml.
# Linted by hadolint with no findings (tests/test_deploy.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLIENTELA_DEVELOPMENT=false

RUN groupadd --system --gid 10001 clientela \
    && useradd --system --create-home --uid 10001 --gid clientela clientela

# Install from a scratch copy of the sources, then drop them: the image runs the installed package.
COPY pyproject.toml /src/
COPY backend /src/backend
RUN pip install /src && rm -rf /src

# /app is the working directory the app resolves relative paths against
# (portal-config/, the default SQLite clientela.db, .clientela-secret, the files' clientela-files/),
# so the app user owns it.
WORKDIR /app
COPY portal-config ./portal-config
RUN chown -R clientela: /app
# By number: a runtime that cannot resolve names (Kubernetes' runAsNonRoot) still sees a non-root user.
USER 10001:10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `clientela serve` migrates first, and believes X-Forwarded-For only from CLIENTELA_FORWARDED_ALLOW_IPS.
CMD ["clientela", "serve", "--host", "0.0.0.0", "--port", "8000"]
