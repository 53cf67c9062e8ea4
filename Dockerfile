# The API with Microsoft's ODBC driver for SQL Server (docker-compose.yml builds it once, as
# `eventlog-api:local`, for the `api` and `migrate` services).
# The base by digest: a rebuild runs what was tested, not whatever the tag names that day;
# Dependabot (.github/dependabot.yml, docker) proposes the new digest as a reviewed change.
FROM python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254

# Microsoft's repository for the architecture being built (amd64 or arm64: msodbcsql18 has both),
# never a hard-coded one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl gnupg ca-certificates \
 && curl -fsSL https://packages.microsoft.com/keys/microsoft.asc | gpg --dearmor -o /usr/share/keyrings/microsoft.gpg \
 && echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/microsoft.gpg] https://packages.microsoft.com/debian/12/prod bookworm main" > /etc/apt/sources.list.d/mssql-release.list \
 && apt-get update \
 && ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18 unixodbc \
 && rm -rf /var/lib/apt/lists/*

# The server needs no privilege: it runs as a user of its own, owning nothing it could rewrite.
RUN groupadd --system --gid 10001 eventlog \
 && useradd --system --uid 10001 --gid eventlog --no-create-home --shell /usr/sbin/nologin eventlog

WORKDIR /app
# Exactly the lock's versions (requirements-docker.txt is `uv export`ed by `make lock`), each file
# checked against its hash; the code is run from /app, not installed.
COPY requirements-docker.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements-docker.txt
ENV PYTHONPATH=/app
COPY alembic.ini ./
COPY gateway gateway
COPY schema schema
COPY persistence persistence
COPY migrations migrations
# Byte-compiled here, as root: the server's user may not write /app, so without this every start
# would compile every module again (and cache nothing).
RUN python -m compileall -q gateway schema persistence migrations

USER eventlog
EXPOSE 8000
# Liveness: the process answers. (Compose waits on /health/ready, which also asks the stores.)
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["curl", "-fs", "-o", "/dev/null", "http://127.0.0.1:8000/health"]
CMD ["python", "-m", "gateway", "--host", "0.0.0.0", "--port", "8000"]
