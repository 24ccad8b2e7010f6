# syntax=docker/dockerfile:1
# Build: wheels for the app and its dependencies, in a throwaway stage with compilers.
# The versions come from requirements.lock (-c: constraints), as in scripts/serve.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
RUN pip wheel --wheel-dir /wheels -c requirements.lock .

# Run: slim image, non-root user, only the wheels, the migrations and alembic.ini.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 ENVIRONMENT=production HOST=0.0.0.0 PORT=8000 SEED_DEMO=false
RUN groupadd --system pixely && useradd --system --gid pixely --home /app pixely
COPY --from=build /wheels /wheels
# --no-index: Pixely and its dependencies from the wheels built above (the locked
# versions) only, nothing from an index.
RUN pip install --no-index --find-links /wheels pixely && rm -rf /wheels
WORKDIR /app
COPY alembic.ini ./
COPY alembic ./alembic
USER pixely
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)" || exit 1
# Migrations run in their own step (docker-compose's `migrate` service): --no-prepare.
CMD ["pixely", "serve", "--no-prepare", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
