"""RPC answers (``common.nameko.rpc``): sent once serialized, without a broker confirm;
what they carry is what Nameko's own replies carry."""

import pytest
from nameko.exceptions import RemoteError
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
