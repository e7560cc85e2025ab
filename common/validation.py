"""Marshmallow helpers shared by RPC schemas and event contracts.

``load(schema, data)`` returns clean data or raises the seedwork ValidationError with
one list of messages per bad field, so bad input never reaches a handler.

Decimal amounts travel as strings ("12.50"); floats are refused because they cannot
carry an exact amount.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow
from marshmallow import Schema, fields, validate

from common.seedwork.domain.clock import as_utc, isoformat
from common.seedwork.domain.iso import COUNTRY_CODES, CURRENCY_MINOR_UNITS
from common.seedwork.domain.money import AMOUNT_TOO_LARGE, MAX_AMOUNT
from common.seedwork.errors import ValidationError

_INSTANCES: dict[type, Schema] = {}


def schema_instance(schema: Schema | type[Schema]) -> Schema:
    """One reusable instance per schema class (building a schema deep-copies its fields;
    loading is pure CPU and keeps no state between calls)."""
    if isinstance(schema, Schema):
        return schema
    instance = _INSTANCES.get(schema)
    if instance is None:
        instance = _INSTANCES[schema] = schema()
    return instance


NUL_MESSAGE = "Must not contain NUL characters."


def load(schema: Schema | type[Schema], data: Any, **kwargs) -> dict[str, Any]:
    """Validate ``data`` with ``schema`` (a class or an instance); typed error on failure.

    NUL characters are refused in every string, key or value, at any depth: PostgreSQL
    cannot store them and no field of ours needs one."""
    nul = _nul_fields(data)
    if nul:
        raise ValidationError("The input is invalid.", nul)
    instance = schema_instance(schema)
    if not instance.fields and not kwargs and isinstance(data, Mapping) and \
            instance.unknown == marshmallow.EXCLUDE:
        return {}  # what marshmallow answers, without its machinery (hot: shared links'
        #            ignored query strings)
    try:
        return instance.load(data if data is not None else {}, **kwargs)
    except marshmallow.ValidationError as error:
        raise ValidationError("The input is invalid.", _as_fields(error.messages)) from None


def _nul_fields(value: Any) -> dict[str, Any]:
    """Where NUL characters are, shaped like marshmallow's errors ({"a": {"b": [msg]}})."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if "\x00" in name:
                found[name.replace("\x00", "\\0")] = [NUL_MESSAGE]
            elif (inner := _nul_value(item)) is not None:
                found[name] = inner
        return found
    inner = _nul_value(value)
    return {"_schema": [NUL_MESSAGE]} if inner is not None else {}


def _nul_value(value: Any) -> Any:
    if isinstance(value, str):
        return [NUL_MESSAGE] if "\x00" in value else None
    if isinstance(value, dict):
        return _nul_fields(value) or None
    if isinstance(value, (list, tuple)):
        found = {str(i): inner for i, item in enumerate(value)
                 if (inner := _nul_value(item)) is not None}
        return found or None
    return None


def _as_fields(messages: Any) -> dict[str, Any]:
    if isinstance(messages, dict):
        return messages
    return {"_schema": messages if isinstance(messages, list) else [str(messages)]}


class StrictSchema(Schema):
    """Unknown fields are an error (the default in marshmallow, said out loud)."""

    class Meta:
        unknown = marshmallow.RAISE


class TolerantSchema(Schema):
    """For event payloads: consumers ignore fields they do not know."""

    class Meta:
        unknown = marshmallow.EXCLUDE


class DecimalString(fields.Field):
    """A decimal given as a string or an integer, handed over as Decimal, sent as string."""

    default_error_messages = {
        "invalid": "Not a valid decimal number.",
        "float": 'Send decimal amounts as strings, e.g. "12.50".',
        "special": "Must be a finite number.",
        "too_large": AMOUNT_TOO_LARGE,
    }

    def __init__(self, *, places: int | None = None, **kwargs):
        self.places = places
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            raise self.make_error("float")
        if not isinstance(value, (str, int, Decimal)):
            raise self.make_error("invalid")
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not number.is_finite():
            raise self.make_error("special")
        if abs(number) >= MAX_AMOUNT:
            raise self.make_error("too_large")
        if self.places is not None and number != number.quantize(Decimal(1).scaleb(-self.places)):
            raise marshmallow.ValidationError(f"At most {self.places} decimal places.")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(Decimal(value), "f")


# A caller-chosen key that makes a request safe to repeat (a bonus's reference): a UUID
# or any id-like text.
IDEMPOTENCY_KEY = [validate.Length(min=1, max=100),
                   validate.Regexp(r"^[A-Za-z0-9._:\-]+$",
                                   error="Letters, digits and . _ : - only.")]


class ReferralCode(fields.String):
    """A link's code as a person chooses it (a vanity code, the same as a shop's
    coupon): 3 to 16 letters, digits and hyphens, starting and ending with a letter or a
    digit; taken lowercase (``BEA10`` is ``bea10``: a code read aloud or typed from a
    video carries no case)."""

    MIN_LENGTH, MAX_LENGTH = 3, 16
    default_error_messages = {
        "length": f"From {MIN_LENGTH} to {MAX_LENGTH} characters.",
        "form": "Letters, digits and hyphens only, starting and ending with a letter or "
                "a digit.",
    }
    _FORM = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if not self.MIN_LENGTH <= len(code) <= self.MAX_LENGTH:
            raise self.make_error("length")
        if not self._FORM.match(code):
            raise self.make_error("form")
        return code


class CurrencyCode(fields.String):
    default_error_messages = {"currency": "Not an ISO 4217 currency code."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in CURRENCY_MINOR_UNITS:
            raise self.make_error("currency")
        return code


class CountryCode(fields.String):
    default_error_messages = {"country": "Not an ISO 3166-1 alpha-2 country code."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRY_CODES:
            raise self.make_error("country")
        return code


class Id(fields.String):
    """A UUID, handed over as its canonical text."""

    default_error_messages = {"uuid": "Not a valid id (UUID)."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise self.make_error("uuid") from None


class IpAddress(fields.IP):
    """An IPv4/IPv6 address, handed over in its canonical text form (an IPv4-mapped
    IPv6 address as the IPv4 one), so one visitor's IP always compares equal."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        address = super()._deserialize(value, attr, data, **kwargs)
        return str(getattr(address, "ipv4_mapped", None) or address)


class UTCDateTimeField(fields.DateTime):
    """ISO 8601 in, aware UTC datetime out; naive input is taken as UTC; sent with Z."""

    def _deserialize(self, value, attr, data, **kwargs):
        return as_utc(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(value)


class MoneySchema(TolerantSchema):
    amount = DecimalString(required=True)
    currency = CurrencyCode(required=True)

    @marshmallow.validates_schema
    def _amount_fits_currency(self, data: Mapping[str, Any], **kwargs):
        amount, currency = data.get("amount"), data.get("currency")
        if amount is None or currency is None:
            return
        places = CURRENCY_MINOR_UNITS[currency]
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            raise marshmallow.ValidationError(
                f"{currency} amounts have at most {places} decimal places.", "amount")


class Page(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
