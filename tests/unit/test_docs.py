import pathlib

from common.contracts import render_markdown

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_event_catalogue_doc_is_current():
    assert (ROOT / "docs" / "events.md").read_text() == render_markdown(), \
        "run `make events-doc`"
