"""``alpes users``: accounts, over RPC to the identity service.

    alpes users create-admin --email ops@example.com            (the password is prompted)
    printf '%s\\n' "$PASSWORD" | alpes users create-admin --email ops@example.com --password-stdin

The first admin of a platform can only come from here (admins are never made over HTTP).
The password is read from the terminal without echo (twice), or as one line of standard
input; it is never an option (it would sit in the shell's history and in ``ps``).
"""
from __future__ import annotations

import sys

import click


@click.group(short_help="Create admin accounts (RPC to identity).")
def users() -> None:
    """People's accounts (the identity service, over RPC)."""


@users.command("create-admin")
@click.option("--email", required=True, help="The admin's email (the log-in name).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password as one line of standard input instead of prompting.")
@click.pass_obj
def create_admin(session, email: str, password_stdin: bool) -> None:
    """Create an admin account; it logs in with POST /api/v1/auth/login.

    The password must pass identity's policy (IDENTITY.password_min_length, 12 by
    default); a refused one is named, and nothing is created.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = session.call("identity", "create_admin", {"email": email, "password": password})
    click.echo(f"admin {account['account_id']}  {account['email']}")
