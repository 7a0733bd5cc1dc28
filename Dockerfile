# The payments service image: `payments serve` by default; the same image runs `payments worker` and
# `payments db upgrade` (see deploy/docker-compose.yml).
#
# Builder: uv installs exactly what uv.lock pins (no dev tools), into /app/.venv. The project itself is
# installed editable, so the code stays in /app/src next to /app/migrations, where the migration runner
# looks for them. Runtime: the same Python base, the venv and the code, run as an unprivileged user.

FROM python:3.11-slim AS builder
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes, not on every code change.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY src ./src
RUN uv sync --locked --no-dev

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 payments \
    && useradd --system --uid 10001 --gid payments --home-dir /app --no-create-home --shell /usr/sbin/nologin payments
WORKDIR /app
COPY --from=builder --chown=root:root /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PAYMENTS_ENV=production \
    PAYMENTS_HOST=0.0.0.0 \
    PAYMENTS_PORT=8000 \
    PAYMENTS_LOG_FORMAT=json
USER payments
EXPOSE 8000
# No curl in the slim image: the interpreter asks /health (200 while the process is alive).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PAYMENTS_PORT', '8000')}/health\", timeout=4)"]
CMD ["payments", "serve"]
