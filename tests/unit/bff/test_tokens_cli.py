"""``python -m services.bff.tokens mint`` prints a token the BFF accepts."""
import pytest

from services.bff import tokens
from services.bff.auth import SECRET_ENV, TokenCodec
from tests.unit.bff.harness import SECRET, new_id


def test_mint_prints_a_token_the_bff_reads(monkeypatch, capsys):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    partner_id = new_id()
    assert tokens.main(["mint", "--role", "partner", "--sub", partner_id, "--ttl", "60"]) == 0
    principal = TokenCodec(SECRET).read(capsys.readouterr().out.strip())
    assert (principal.role, principal.subject) == ("partner", partner_id)


def test_without_a_secret_it_explains_and_fails(monkeypatch, capsys):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_:
        tokens.main(["mint", "--role", "admin", "--sub", "ops"])
    assert exit_.value.code == 2 and SECRET_ENV in capsys.readouterr().err


def test_a_brand_token_needs_a_brand_id(monkeypatch, capsys):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with pytest.raises(SystemExit):
        tokens.main(["mint", "--role", "brand", "--sub", "acme"])
    assert "UUID" in capsys.readouterr().err


def test_the_function_tools_import(monkeypatch):
    token = tokens.mint(role="admin", subject="bench", secret=SECRET)
    assert TokenCodec(SECRET).read(token).subject == "bench"
