"""Pieces every resource uses: the error shape, paging, money."""
from __future__ import annotations

from functools import cache

import marshmallow
from marshmallow import Schema, fields, validate

from common.validation import CurrencyCode, DecimalString, StrictSchema, UTCDateTimeField


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "Stable, machine-readable."})
    message = fields.String(required=True)
    request_id = fields.String(required=True)
    fields = fields.Dict(required=True, metadata={  # last: it shadows the module below it
        "description": "Per-field messages (a list per field, nested for nested input)."})


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class PageQuery(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PeriodQuery(StrictSchema):
    """``from`` (included) and ``to`` (excluded), UTC date-times (a date alone is its
    midnight): a month is ``from`` its first day ``to`` the next month's."""

    from_ = UTCDateTimeField(data_key="from", attribute="from")
    to = UTCDateTimeField()

    @marshmallow.validates_schema
    def _a_period_ends_after_it_starts(self, data, **_):
        if data.get("from") and data.get("to") and data["to"] <= data["from"]:
            raise marshmallow.ValidationError("Must be after 'from'.", "to")


class Money(Schema):
    amount = DecimalString(required=True, metadata={"example": "12.50"})
    currency = fields.String(required=True, metadata={"example": "USD"})


class MoneyIn(StrictSchema):
    amount = DecimalString(required=True, metadata={"example": "12.50"})
    currency = CurrencyCode(required=True, metadata={"example": "USD"})


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """``{"items": [...], "page", "page_size", "total"}`` of ``item``."""
    name = item.__name__.removesuffix("Out") + "Page"
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Integer(),
        "page_size": fields.Integer(),
        "total": fields.Integer(),
    })


@cache
def list_of(item: type[Schema]) -> type[Schema]:
    """``{"items": [...]}`` of ``item``."""
    name = item.__name__.removesuffix("Out") + "List"
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item), required=True)})
