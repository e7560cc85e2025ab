"""Marshmallow schemas of the partners RPC payloads."""
from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from common.contracts.partners import PARTNER_STATUSES, PARTNER_TYPES
from common.validation import CountryCode, Id, Page, StrictSchema
from services.partners.domain.payout_method import (
    BANK_TRANSFER,
    KINDS,
    PAYPAL,
    bic_is_valid,
    iban_is_valid,
)


def _iban(value: str) -> None:
    if not iban_is_valid(value):
        raise marshmallow.ValidationError("Not a valid IBAN.")


def _bic(value: str) -> None:
    if not bic_is_valid(value):
        raise marshmallow.ValidationError("Not a valid BIC.")


class BankTransferSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.Equal(BANK_TRANSFER))
    account_holder = fields.String(required=True, validate=validate.Length(min=1, max=200))
    iban = fields.String(required=True, validate=_iban)
    bic = fields.String(validate=_bic)


class PayPalSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.Equal(PAYPAL))
    email = fields.Email(required=True)


PAYOUT_METHOD_SCHEMAS = {BANK_TRANSFER: BankTransferSchema, PAYPAL: PayPalSchema}


class PayoutMethodField(fields.Field):
    """``{"type": "bank_transfer", "account_holder", "iban", "bic"?}`` or
    ``{"type": "paypal", "email"}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise marshmallow.ValidationError("Must be an object.")
        schema = PAYOUT_METHOD_SCHEMAS.get(value.get("type"))
        if schema is None:
            raise marshmallow.ValidationError({"type": [f"Must be one of: {', '.join(KINDS)}."]})
        return schema().load(value)


class RegisterPartnerSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    type = fields.String(required=True, validate=validate.OneOf(PARTNER_TYPES))
    country = CountryCode(required=True)
    payout_method = PayoutMethodField(load_default=None, allow_none=True)
    partner_id = Id(load_default=None)

    @marshmallow.validates("name")
    def _name_not_blank(self, value, **kwargs):
        if not value.strip():
            raise marshmallow.ValidationError("Must not be blank.")


class PartnerIdSchema(StrictSchema):
    partner_id = Id(required=True)


class SuspendPartnerSchema(PartnerIdSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ChangePayoutMethodSchema(PartnerIdSchema):
    payout_method = PayoutMethodField(required=True)


class ListPartnersSchema(Page):
    status = fields.String(validate=validate.OneOf(PARTNER_STATUSES))
    type = fields.String(validate=validate.OneOf(PARTNER_TYPES))
    country = CountryCode()
