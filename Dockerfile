# One image for every AlpesPartners service; docker-compose.yml picks the service per
# container with `nameko run --config config.yaml services.<name>.service`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY common ./common
COPY services ./services
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /app alpes \
    && mkdir -p /app/var/data && chown -R alpes /app/var

COPY config.yaml ./

USER alpes
EXPOSE 8000
CMD ["nameko", "run", "--config", "config.yaml", "services.partners.service"]
