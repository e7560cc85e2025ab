"""``alpes users``: accounts, over RPC to the identity service.

    alpes users create-admin --email ops@example.com            (the password is prompted)
    printf '%s\\n' "$PASSWORD" | alpes users create-admin --email ops@example.com --password-stdin
    alpes users reset-password --email bea@example.com          (prints a one-time link)

The first admin of a platform can only come from here (admins are never made over HTTP).
The password is read from the terminal without echo (twice), or as one line of standard
input; it is never an option (it would sit in the shell's history and in ``ps``).
"""
from __future__ import annotations

import sys

import click


@click.group(short_help="Create admin accounts, issue password resets (RPC to identity).")
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


@users.command("reset-password")
@click.option("--email", required=True, help="The email of the account that cannot sign in.")
@click.pass_obj
def reset_password(session, email: str) -> None:
    """Print a password reset link for an account (its owner forgot the password, or is
    locked out). Hand it over yourself: the platform sends no email. The link works once,
    for IDENTITY.password_reset_ttl_seconds (24 hours by default); a newer one voids it.
    Using it ends every session of the account and lifts its lock-out.
    """
    issued = session.call("identity", "issue_password_reset",
                          {"email": email, "issued_by": "operator:cli"})
    base = ((session.config().get("CAMPAIGNS") or {}).get("public_base_url")
            or "http://localhost:8000").rstrip("/")
    click.echo(f"{base}/app/reset#token={issued['token']}")
    click.echo(f"for {issued['account']['email']} ({issued['account']['role']}), "
               f"until {issued['expires_at']}", err=True)
