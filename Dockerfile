# One image for every AlpesPartners service; docker-compose.yml picks the service per
# container with `alpes serve <name>` (which becomes `nameko run` for that service), and
# runs the one-shot `alpes migrate` / `alpes topology` job. Operators use the same
# `alpes` command line: `docker compose run --rm migrate alpes dead-letters list`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONWARNINGS=ignore::Warning:nameko.cli.commands,ignore::Warning:nameko.containers,ignore::Warning:nameko.extensions,ignore::Warning:dns.dnssecalgs.dsa

WORKDIR /app

COPY pyproject.toml README.md ./
COPY common ./common
COPY services ./services
COPY tools ./tools
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /app alpes \
    && mkdir -p /app/var/data /app/var/clicks && chown -R alpes /app/var

COPY config.yaml ./

USER alpes
EXPOSE 8000
CMD ["alpes", "--config", "config.yaml", "serve", "partners"]
