"""JSON at the edge: exact decimals, no NaN, no duplicate keys, bounded depth."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.bff.jsonio import MalformedJson, dumps, parse, to_wire


def test_numbers_with_a_fraction_are_exact_decimals():
    assert parse('{"amount": 0.1, "n": 3}', 5) == {"amount": Decimal("0.1"), "n": 3}


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": 1, "a": 2}',
                                  '{"a": ', "[1,]", "{'a': 1}"])
def test_malformed_json_is_refused(text):
    with pytest.raises(MalformedJson):
        parse(text, 5)


def test_depth_is_checked_before_parsing_and_strings_do_not_count():
    assert parse('{"a": {"b": ["[[[[{{{{"]}}', 3)
    with pytest.raises(MalformedJson, match="deeper than 3"):
        parse('{"a": {"b": [[1]]}}', 3)
    with pytest.raises(MalformedJson):
        parse("[" * 100_000 + "]" * 100_000, 20)


def test_escaped_quotes_inside_strings():
    assert parse(r'{"a": "say \"[[[\" ok"}', 1) == {"a": 'say "[[[" ok'}


def test_out_and_to_the_wire():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert dumps({"amount": Decimal("12.50"), "at": when}) == \
        '{"amount":"12.50","at":"2026-01-02T03:04:05Z"}'
    assert to_wire({"amount": Decimal("1E+2")}) == {"amount": "100"}
