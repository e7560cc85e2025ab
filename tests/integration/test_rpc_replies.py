"""RPC answers (``common.nameko.rpc``): sent once serialized, without a broker confirm;
what they carry is what Nameko's own replies carry."""

import pytest
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from common.nameko.rpc import api
from common.seedwork.errors import NotFound
from tests.support import service_config


class Answering:
    name = "answering"

    @api
    def echo(self, value):
        return {"echo": value}

    @api
    def refuse(self):
        raise NotFound("No such thing.", {"thing_id": ["Unknown."]})

    @api
    def unserializable(self):
        return object()


@pytest.fixture
def answering(rabbit_config, container_factory):
    config = service_config(rabbit_config, {})
    container_factory(Answering, config).start()
    with ServiceRpcProxy("answering", config, timeout=10) as proxy:
        yield proxy


def test_results_typed_errors_and_unserializable_values_reach_the_caller(answering):
    assert [answering.echo(n) for n in range(20)] == [{"echo": n} for n in range(20)]
    with pytest.raises(NotFound) as refused:
        answering.refuse()
    assert refused.value.fields == {"thing_id": ["Unknown."]}
    with pytest.raises(RemoteError, match="UnserializableValueError"):
        answering.unserializable()
    assert answering.echo("still answering") == {"echo": "still answering"}


def test_a_call_that_does_not_fit_the_signature_is_refused_before_any_worker(answering):
    """Nameko's ``IncorrectSignature``, checked against the signature read once."""
    for args, kwargs in [((), {}), ((1, 2), {}), ((), {"other": 1}), ((1,), {"value": 1})]:
        with pytest.raises(IncorrectSignature):
            answering.echo(*args, **kwargs)
    assert answering.echo(value=3) == {"echo": 3}
