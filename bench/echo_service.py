"""Benchmark-only floor: a bare Nameko service (no database, no validation, no outbox).

Run as its own process: ``nameko run --config config.yaml bench.echo_service``. Its
``@rpc echo`` and ``@http GET /hello`` are what Nameko itself costs on this machine.
"""
from nameko.rpc import rpc
from nameko.web.handlers import http


class BenchEchoService:
    name = "bench_echo"

    @rpc
    def echo(self, payload):
        return payload

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    @http("GET", "/hello")
    def hello(self, request):
        return 200, "hello"
