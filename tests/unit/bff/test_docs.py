"""docs/services/bff.md lists exactly the routes the BFF serves."""
import pathlib
import re

from tests.unit.bff.harness import ROUTES

DOC = (pathlib.Path(__file__).resolve().parents[3] / "docs" / "services" / "bff.md").read_text()
LISTED = re.compile(r"^\| `(GET|POST|PATCH|PUT|DELETE) (/[^`]*)` \|", re.M)


def test_every_route_is_in_the_doc_and_every_listed_route_exists():
    listed = set(LISTED.findall(DOC))
    assert listed == {(r.method, r.path) for r in ROUTES}
