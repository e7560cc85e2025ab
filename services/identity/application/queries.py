from __future__ import annotations

import dataclasses

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckNewAccount(Query):
    email: str
    password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AuthenticateSession(Query):
    token_digest: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AuthenticateApiKey(Query):
    key_digest: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetAccount(Query):
    account_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListAccounts(Query):
    role: str | None = None
    brand_id: str | None = None
    status: str | None = None
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListApiKeys(Query):
    brand_id: str
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListInvitations(Query):
    brand_id: str
