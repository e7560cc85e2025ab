"""Administration: brands, tokens for brands and partners, dead letters."""
from __future__ import annotations

from common.nameko import dead_letters
from common.nameko.discovery import service_names
from common.seedwork.errors import NotFound, ValidationError
from services.bff import errors, ownership
from services.bff.auth import ADMIN, BRAND
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import admin as schemas
from services.bff.schemas.common import PageQuery, list_of, page_of
from services.bff.schemas.system import TokenBody, TokenOut

TAG = "administration"


@route("POST", "/api/v1/brands", roles=(ADMIN,), body=schemas.BrandBody,
       response=schemas.BrandOut, status=201, tag="brands", summary="Register a brand (admin)")
def create_brand(call):
    created = call.rpc.campaigns.register_brand(to_wire(call.body))
    return call.rpc.campaigns.get_brand(created["brand_id"])


@route("GET", "/api/v1/brands", roles=(ADMIN,), query=PageQuery,
       response=page_of(schemas.BrandOut), tag="brands", summary="List brands (admin)")
def list_brands(call):
    return call.rpc.campaigns.list_brands(call.query)


@route("GET", "/api/v1/brands/<brand_id>", roles=(ADMIN, BRAND), response=schemas.BrandOut,
       tag="brands", summary="A brand (its own)")
def get_brand(call, brand_id):
    return call.rpc.campaigns.get_brand(ownership.brand(call.principal, brand_id))


@route("POST", "/api/v1/admin/tokens", roles=(ADMIN,), body=TokenBody, response=TokenOut,
       status=201, tag=TAG, summary="Issue a bearer token to an existing brand or partner")
def issue_token(call):
    role, subject = call.body["role"], call.body["sub"]
    _must_exist(call, role, subject)
    ttl = min(call.body["ttl_seconds"] or call.settings.token_ttl_seconds,
              call.settings.max_token_ttl_seconds)
    return {"access_token": call.edge.codec.mint(role, subject, ttl), "token_type": "Bearer",
            "expires_in": ttl, "role": role, "sub": subject}


def _must_exist(call, role: str, subject: str) -> None:
    lookup = call.rpc.campaigns.get_brand if role == BRAND else call.rpc.partners.get_partner
    try:
        lookup(subject)
    except NotFound:
        raise ValidationError(fields={"sub": [f"No {role} has this id."]}) from None


@route("GET", "/api/v1/admin/dead-letters", roles=(ADMIN,), query=schemas.DeadLettersQuery,
       response=list_of(schemas.DeadLetterOut), tag=TAG,
       summary="Events whose handler failed every retry (read without consuming)")
def list_dead_letters(call):
    found = dead_letters.list_dead_letters(call.edge.amqp_uri, _services(call.query))
    return {"items": [_for_http(item) for item in found]}


@route("POST", "/api/v1/admin/dead-letters/<dead_letter_id>/replay", roles=(ADMIN,),
       response=schemas.ReplayOut, tag=TAG,
       summary="Send one dead letter back to the handler that failed it")
def replay_dead_letter(call, dead_letter_id):
    outcome = dead_letters.replay(call.edge.amqp_uri, dead_letter_id=dead_letter_id)
    if not outcome:
        raise errors.not_found()
    return _replay_answer(outcome)


@route("POST", "/api/v1/admin/dead-letters/replay", roles=(ADMIN,),
       body=schemas.ReplayAllBody, response=schemas.ReplayOut, tag=TAG,
       summary="Replay every dead letter (of one service)")
def replay_all_dead_letters(call):
    outcome = dead_letters.replay(call.edge.amqp_uri, replay_all=True,
                                  services=_services(call.body))
    return _replay_answer(outcome)


def _replay_answer(outcome: list[dict]) -> dict:
    """Replayed, and refused: poison its consumer would dead-letter again at once (it
    stays in the dead letters, with the reason)."""
    return {"replayed": [_for_http(item) for item in outcome if not item["refused"]],
            "refused": [_for_http(item) for item in outcome if item["refused"]]}


def _for_http(dead_letter: dict) -> dict:
    """The failure's message without its exception class or traceback: those stay with
    the operator CLI (``make dead-letters``), never in an HTTP body."""
    error, error_type = dead_letter.get("error") or "", dead_letter.get("error_type") or ""
    if error_type and error.startswith(f"{error_type}: "):
        error = error[len(error_type) + 2:]
    shown = {k: v for k, v in dead_letter.items() if k not in ("traceback", "error_type")}
    return {**shown, "error": error or None}


def _services(data: dict) -> list[str] | None:
    wanted = data.get("service")
    if wanted is None:
        return None
    if wanted not in service_names():
        raise ValidationError(fields={"service": ["No such service."]})
    return [wanted]
