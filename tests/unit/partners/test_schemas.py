import pytest

from common.seedwork.errors import ValidationError
from common.validation import load
from services.partners import schemas

VALID = {"name": "Ana", "email": "ana@example.com", "type": "media", "country": "fr"}


def test_valid_registration():
    data = load(schemas.RegisterPartnerSchema(), VALID)
    assert data["country"] == "FR" and data["payout_method"] is None


def test_each_bad_field_is_named():
    with pytest.raises(ValidationError) as error:
        load(schemas.RegisterPartnerSchema(), {"name": " ", "email": "not-an-email",
                                               "type": "robot", "country": "XX", "admin": True})
    assert set(error.value.fields) == {"name", "email", "type", "country", "admin"}


def test_missing_fields_are_named():
    with pytest.raises(ValidationError) as error:
        load(schemas.RegisterPartnerSchema(), {})
    assert set(error.value.fields) == {"name", "email", "type", "country"}


@pytest.mark.parametrize("method, bad_fields", [
    ({"type": "bank_transfer", "account_holder": "A", "iban": "DE00"}, {"iban"}),
    ({"type": "bank_transfer", "iban": "DE89370400440532013000"}, {"account_holder"}),
    ({"type": "paypal", "email": "nope"}, {"email"}),
    ({"type": "cheque"}, {"type"}),
    ({"type": "paypal", "email": "a@b.co", "pin": "1234"}, {"pin"}),
])
def test_payout_method_errors_are_nested_under_their_field(method, bad_fields):
    with pytest.raises(ValidationError) as error:
        load(schemas.RegisterPartnerSchema(), {**VALID, "payout_method": method})
    assert set(error.value.fields["payout_method"]) == bad_fields


def test_list_filters_are_validated():
    assert load(schemas.ListPartnersSchema(), {"status": "ACTIVE"})["page"] == 1
    with pytest.raises(ValidationError) as error:
        load(schemas.ListPartnersSchema(), {"status": "GONE", "page_size": 0})
    assert set(error.value.fields) == {"status", "page_size"}
