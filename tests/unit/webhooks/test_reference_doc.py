"""docs/webhooks.md's event reference is the catalogue's, with example bodies made by
the code that makes real deliveries."""
import pathlib

from services.webhooks.application import reference
from services.webhooks.domain import catalogue

DOC = (pathlib.Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()


def test_the_event_reference_is_current():
    assert reference.section_of(DOC) == reference.markdown(), \
        "run python -m services.webhooks.application.reference and paste the section"


def test_every_example_body_has_exactly_the_documented_fields():
    for kind in (*catalogue.TYPES, catalogue.TEST_TYPE):
        body = reference.example_body(kind)
        assert set(body) == {"type", "version", "timestamp", "event_id", "data"}
        assert tuple(body["data"]) == kind.field_names, kind.name
