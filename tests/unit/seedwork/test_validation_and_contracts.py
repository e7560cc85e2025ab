from decimal import Decimal

import pytest
from marshmallow import fields

from common.contracts import CATALOGUE, find, render_markdown
from common.nameko import faults
from common.nameko.events import RETRY_DEFAULTS, backoff_ms, handler_queue_name
from common.seedwork.errors import ValidationError
from common.validation import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Id,
    MoneySchema,
    Page,
    StrictSchema,
    TolerantSchema,
    load,
)


class Example(StrictSchema):
    amount = DecimalString(required=True, places=2)
    currency = CurrencyCode(required=True)
    country = CountryCode()
    id = Id()
    n = fields.Integer()


def test_load_gives_clean_values():
    data = load(Example(), {"amount": "12.50", "currency": "usd", "country": "es",
                            "id": "6F9619FF-8B86-D011-B42D-00C04FC964FF"})
    assert data == {"amount": Decimal("12.50"), "currency": "USD", "country": "ES",
                    "id": "6f9619ff-8b86-d011-b42d-00c04fc964ff"}


def test_load_names_every_bad_field():
    with pytest.raises(ValidationError) as error:
        load(Example(), {"amount": 1.5, "currency": "ABC", "country": "XX", "id": "1",
                         "unexpected": True})
    assert set(error.value.fields) == {"amount", "currency", "country", "id", "unexpected"}
    assert "strings" in error.value.fields["amount"][0]


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True, [], "1.234"])
def test_bad_decimals(value):
    with pytest.raises(ValidationError):
        load(Example(), {"amount": value, "currency": "USD"})


def test_huge_decimals_are_refused_by_name_not_crashed_on():
    """1.4E+308 once reached Money and a quantize raised (a 500 from POST /payouts/runs)."""
    class Limit(StrictSchema):
        min_amount = DecimalString()

    for value in ("1.410018210361533E+308", Decimal("1E+15"), "-1000000000000000"):
        with pytest.raises(ValidationError) as error:
            load(Limit(), {"min_amount": value})
        assert "magnitude" in error.value.fields["min_amount"][0]
    assert load(Limit(), {"min_amount": "999999999999999.99"})["min_amount"] == Decimal(
        "999999999999999.99")


def test_non_object_input_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        load(Example(), ["not", "an", "object"])
    assert error.value.fields


def test_a_schema_without_fields_answers_as_marshmallow_would():
    """The shortcut for field-less tolerant schemas (a shared link's ignored query string)
    gives marshmallow's answers: nothing kept, NUL and non-objects still refused, a
    strict one still refuses unknown fields."""
    class Ignores(TolerantSchema):
        pass

    assert load(Ignores, {"utm_source": "news"}) == Ignores().load({"utm_source": "news"})
    assert load(Ignores, {}) == {}
    for refused in ({"utm": "a\x00b"}, ["not", "an", "object"]):
        with pytest.raises(ValidationError):
            load(Ignores, refused)
    with pytest.raises(ValidationError):
        load(StrictSchema, {"unexpected": 1})


def test_money_schema_checks_minor_units():
    assert load(MoneySchema(), {"amount": "5", "currency": "JPY"})["amount"] == 5
    with pytest.raises(ValidationError) as error:
        load(MoneySchema(), {"amount": "5.5", "currency": "JPY"})
    assert "amount" in error.value.fields


def test_page_defaults_and_bounds():
    assert load(Page(), {}) == {"page": 1, "page_size": 20}
    with pytest.raises(ValidationError):
        load(Page(), {"page": 0, "page_size": 1000})


def test_catalogue_is_unique_and_documented():
    keys = [(c.source, c.name, c.version) for c in CATALOGUE]
    assert len(keys) == len(set(keys))
    assert find("partners", "partner_registered").version == 1
    with pytest.raises(KeyError):
        find("partners", "nope")
    document = render_markdown()
    for contract in CATALOGUE:
        assert f"`{contract.name}` v{contract.version}" in document


def test_contract_parse_is_tolerant_but_typed():
    contract = find("partners", "partner_suspended")
    payload = {"partner_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "name": "A",
               "email": "a@b.co", "type": "media", "country": "FR", "status": "SUSPENDED",
               "kyc_status": "VERIFIED", "payout_method": None,
               "registered_at": "2026-01-01T00:00:00Z", "revision": 3, "reason": "fraud",
               "field_from_the_future": 1}
    parsed = contract.parse(payload)
    assert parsed["revision"] == 3 and "field_from_the_future" not in parsed
    with pytest.raises(ValidationError):
        contract.parse({"partner_id": "x"})


def test_backoff_grows_and_is_capped():
    policy = dict(RETRY_DEFAULTS, initial_delay_ms=100, multiplier=2, max_delay_ms=350)
    assert [backoff_ms(n, policy) for n in (1, 2, 3, 4)] == [100, 200, 350, 350]


def test_handler_queue_names_match_nameko():
    assert handler_queue_name("partners", "partner_registered", "campaigns", "on_registered") \
        == "evt-partners-partner_registered--campaigns.on_registered"


def test_fault_hooks_are_inert_unless_configured(monkeypatch):
    monkeypatch.delenv(faults.ENV, raising=False)
    assert not faults.active("crash_after_commit", ["x"])
    monkeypatch.setenv(faults.ENV, "crash_after_commit:partner_registered, fail_relay")
    assert faults.active("crash_after_commit", ["partner_registered"])
    assert not faults.active("crash_after_commit", ["partner_activated"])
    assert faults.active("fail_relay")
    with pytest.raises(RuntimeError):
        faults.fail_if("fail_relay")


def test_nul_characters_are_refused_wherever_they_hide():
    with pytest.raises(ValidationError) as error:
        load(Example(), {"amount": "1", "currency": "USD", "country": "E\x00S"})
    assert error.value.fields == {"country": ["Must not contain NUL characters."]}
    with pytest.raises(ValidationError) as error:
        load(MoneySchema(), {"amount": "1", "currency": "USD",
                             "notes": [{"ok": "fine"}, {"bad": "x\x00"}]})
    assert error.value.fields == {"notes": {"1": {"bad": ["Must not contain NUL characters."]}}}
    with pytest.raises(ValidationError):
        load(Example(), "\x00")


def test_a_planned_flaky_handler_fails_each_event_once_and_nothing_else():
    from common.nameko.faults import FaultPlan

    assert FaultPlan.from_config({"FAULT_INJECTION": ""}) is None
    plan = FaultPlan.parse("flaky_handler:commissions.on_conversion_attributed")
    with pytest.raises(RuntimeError):
        plan.fail_first_time("flaky_handler", "commissions.on_conversion_attributed", "e1")
    plan.fail_first_time("flaky_handler", "commissions.on_conversion_attributed", "e1")
    plan.fail_first_time("flaky_handler", "campaigns.on_partner_activated", "e1")
    with pytest.raises(RuntimeError):
        plan.fail_first_time("flaky_handler", "commissions.on_conversion_attributed", "e2")
