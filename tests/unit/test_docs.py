import pathlib

from common.contracts import render_markdown
from common.nameko.topology import consumers_by_contract

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_event_catalogue_doc_is_current():
    assert (ROOT / "docs" / "events.md").read_text() == render_markdown(consumers_by_contract()), \
        "run `make events-doc`"
