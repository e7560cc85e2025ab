"""The OpenAPI document is generated from the route table: both describe the same API."""
import inspect

from services.bff import openapi
from services.bff.service import BffService
from services.bff.web import ApiRoute
from tests.unit.bff.harness import ROUTES

DOCUMENT = openapi.document(tuple(ROUTES))


def mounted_entrypoints() -> set[tuple[str, str]]:
    found = set()
    for _, method in inspect.getmembers(BffService, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                found.add((entrypoint.method, entrypoint.route.openapi_path))
    return found


def test_every_mounted_route_is_documented_and_every_documented_route_is_mounted():
    assert mounted_entrypoints() == openapi.documented_operations(DOCUMENT)
    assert len(mounted_entrypoints()) == len(ROUTES)


def test_every_operation_documents_its_inputs_answers_and_security():
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            declared = next(r for r in ROUTES
                            if (r.method.lower(), r.openapi_path) == (method, path))
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(declared.variables), path
            assert str(declared.status) in operation["responses"]
            assert ("requestBody" in operation) == (declared.body is not None)
            assert bool(operation["security"]) == (not declared.public)
            if not declared.public:
                assert {"401", "403", "404"} <= set(operation["responses"])


def test_query_parameters_come_from_the_query_schemas():
    operation = DOCUMENT["paths"]["/api/v1/partners"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"page", "page_size", "status", "type", "country"}


def test_every_reference_resolves():
    schemas = DOCUMENT["components"]["schemas"]
    answers = DOCUMENT["components"]["responses"]

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                kind, name = ref.split("/")[-2:]
                assert name in (schemas if kind == "schemas" else answers), ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.")


def test_currency_and_country_inputs_list_every_accepted_code():
    from common.seedwork.domain.iso import COUNTRY_CODES, CURRENCY_MINOR_UNITS

    schemas = DOCUMENT["components"]["schemas"]
    signup_country = schemas["SignupBody"]["properties"]["country"]
    allowed_countries = schemas["EligibilityIn"]["properties"]["countries"]["items"]
    assert set(signup_country["enum"]) == set(allowed_countries["enum"]) == COUNTRY_CODES
    for body in ("BrandBody", "MoneyIn", "ConversionBody", "PayoutRunBody"):
        currency = schemas[body]["properties"]["currency"]
        assert set(currency["enum"]) == set(CURRENCY_MINOR_UNITS), body
    assert "enum" not in schemas["PayoutOut"]["properties"]["currency"]  # answers: plain


def test_public_routes_with_a_body_document_their_refusals():
    """Signing up with an email already registered is a 409 (found by the long-form
    fuzzing: an answer the document did not declare)."""
    signup = DOCUMENT["paths"]["/api/v1/partners/signup"]["post"]["responses"]
    assert "409" in signup
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if not operation["security"] and "requestBody" in operation:
                assert "409" in operation["responses"], (method, path)


def test_decimals_are_documented_as_a_string_or_a_number():
    """The BFF reads a JSON number exactly, so the document allows one (the long-form
    fuzzing once flagged 1.1e-308 as a schema-violating request accepted)."""
    either = [{"type": "string", "format": "decimal"}, {"type": "number"}]
    schemas = DOCUMENT["components"]["schemas"]
    assert {"$ref": "#/components/schemas/MoneyIn"} in (
        schemas["PayoutRunBody"]["properties"]["min_amount"]["anyOf"])
    assert schemas["MoneyIn"]["properties"]["amount"]["oneOf"] == either
    assert "type" not in schemas["MoneyIn"]["properties"]["amount"]
