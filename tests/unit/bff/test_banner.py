"""`make run`'s banner prints links to the BFF that a browser can open."""
import re

import pytest

from services.bff import webapp
from tests.unit.bff.harness import ROUTES
from tools.stack import Stack


@pytest.mark.parametrize("address, base", [
    ("0.0.0.0:8000", "http://localhost:8000"),
    (":8001", "http://localhost:8001"),
    ("127.0.0.1:9000", "http://127.0.0.1:9000"),
])
def test_the_banner_links_to_the_web_app_the_docs_the_document_and_health(address, base):
    banner = Stack(["bff"], env={"WEB_SERVER_ADDRESS": address}).describe()
    links = re.findall(r"http://\S+", banner)
    assert links == [f"{base}/", f"{base}/api/v1/docs", f"{base}/api/v1/openapi.json",
                     f"{base}/health"]
    served = {r.path for r in ROUTES if r.method == "GET" and r.public}
    assert webapp.is_page(links[0].removeprefix(base))  # the web app's page (webapp.py)
    assert {link.removeprefix(base) for link in links[1:]} <= served


def test_the_banner_names_each_service_database():
    banner = Stack(["partners", "bff"], env={"DB_PREFIX": "sqlite:////tmp/x/",
                                             "DB_SUFFIX": ".db"}).describe()
    assert re.search(r"^  partners +pid - +db sqlite:////tmp/x/partners\.db$", banner, re.M)
    assert re.search(r"^  bff +pid - +db sqlite:////tmp/x/bff\.db$", banner, re.M)
