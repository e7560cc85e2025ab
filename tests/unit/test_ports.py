"""tools/ports.py: blocks of free ports, each kind of run in its own range."""
import itertools
import socket

import pytest

from tools import ports


def test_a_block_is_free_and_inside_its_span():
    first = ports.free_port_block(20, ports.BENCH)
    assert ports.BENCH[0] <= first and first + 20 <= ports.BENCH[1]
    for port in range(first, first + 20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # raises if it was not free


def test_the_ranges_of_runs_side_by_side_do_not_overlap_nor_reach_the_ephemeral_ones():
    spans = sorted((ports.E2E, ports.RELIABILITY, ports.BENCH))
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert spans[-1][1] <= 32768 and spans[0][0] > 9500  # above a developer's 9400s


def test_no_free_block_is_said():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with pytest.raises(RuntimeError, match="no block of 1 free ports"):
            ports.free_port_block(1, (port, port + 1), attempts=3)
