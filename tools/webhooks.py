"""``alpes webhooks``: the key ring that seals endpoint secrets at rest.

    alpes webhooks new-key --id 2026-12          (prints "2026-12:<base64 of 32 bytes>")

The webhooks service reads its ring from ``WEBHOOKS_SECRET_KEYS`` (comma-separated
entries, the first sealing; docs/services/webhooks.md, "Secrets at rest"). Nothing here
talks to a service: the key is made locally and printed once, for the operator's secret
store.
"""
from __future__ import annotations

import click


@click.group(short_help="Make keys that seal webhook secrets at rest.")
def webhooks() -> None:
    """Webhooks: endpoint secrets are sealed at rest by the key ring in
    WEBHOOKS_SECRET_KEYS."""


@webhooks.command("new-key")
@click.option("--id", "key_id", required=True,
              help="The key's id: 1-32 letters, digits, '_' or '-' (say, the month).")
def new_key(key_id: str) -> None:
    """Print a new key ring entry (a random 256-bit key). Put it first in
    WEBHOOKS_SECRET_KEYS and keep the older entries until every instance has sealed the
    secrets again (at start-up, then every housekeeping interval); then drop them."""
    from services.webhooks.infrastructure.sealing import new_key as make

    try:
        click.echo(make(key_id))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--id") from None
