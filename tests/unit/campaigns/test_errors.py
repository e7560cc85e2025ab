import inspect

import pytest

from common.contracts import campaigns as contracts
from common.seedwork.errors import BusinessRuleViolation, NotFound
from services.campaigns.application.errors import as_published_errors
from services.campaigns.domain import errors

REFUSALS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if cls.__module__ == errors.__name__]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda cls: cls.__name__)
def test_every_domain_refusal_leaves_as_a_published_contract_error(refusal):
    with pytest.raises(BusinessRuleViolation) as raised:
        with as_published_errors():
            raise refusal("Refused.", {"rule": ["SomeRule"]})
    assert type(raised.value) in contracts.ERRORS
    assert (raised.value.code, raised.value.message, raised.value.fields) == (
        refusal.code, "Refused.", {"rule": ["SomeRule"]})


def test_other_errors_pass_unchanged():
    with pytest.raises(NotFound):
        with as_published_errors():
            raise NotFound("gone")
