"""The cluster layer (`make test-cluster`, not part of `make test`): a local 3-node
RabbitMQ cluster (tests/cluster/rabbit_cluster.py), started once for the layer and
stopped and removed at the end, whatever happened."""
import pytest

from tests.cluster.rabbit_cluster import RabbitCluster, installed


@pytest.fixture(scope="session")
def rabbit_cluster():
    if not installed():
        pytest.skip("needs the installed rabbitmq-server (/usr/lib/rabbitmq/bin)")
    cluster = RabbitCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def cluster(rabbit_cluster):
    """The session's cluster with every node running (a failed test may have left one
    stopped)."""
    for short, node in rabbit_cluster.nodes.items():
        if not node.running:
            rabbit_cluster.start_node(short)
    return rabbit_cluster


@pytest.fixture
def platform_on(cluster):
    """``platform_on("quorum")``: the conversion chain on the cluster, on a vhost of its
    own, stopped (and the vhost deleted) at the end."""
    from tests.cluster.platform import ClusterPlatform

    started = []

    def start(queue_type: str, **kwargs):
        platform = ClusterPlatform(cluster, queue_type, **kwargs)
        started.append(platform)
        return platform.start()

    yield start
    for platform in started:
        platform.stop()
