"""The click journal: what a redirect wrote stays on disk until the broker confirmed it,
and what a crashed process left is claimed once, by one live process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from services.bff.click_journal import (
    PARTIAL,
    SUFFIX,
    ClickJournal,
    JournalUnavailable,
    directory_for,
)


def click(n: int) -> dict:
    return {"click_id": f"0190c1d2-0000-7000-8000-{n:012d}", "referral_code": "bea-spring",
            "ip": f"198.51.100.{n % 250}", "user_agent": "ua",
            "occurred_at": "2026-12-07T10:00:00Z"}


def segments(directory) -> list:
    return sorted(p for p in directory.iterdir() if p.suffix == SUFFIX)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_each_click_is_a_line_on_disk_before_append_returns(tmp_path):
    journal = ClickJournal(tmp_path)
    journal.append(click(1))
    journal.append(click(2))
    [path] = segments(tmp_path)
    assert lines(path) == [click(1), click(2)]
    assert journal.pending() == 2


def test_a_segment_whose_clicks_are_all_confirmed_is_emptied_and_written_again(tmp_path):
    journal = ClickJournal(tmp_path)
    first = journal.append(click(1))
    second = journal.append(click(2))
    journal.handed_over([first])
    [path] = segments(tmp_path)
    assert lines(path) == [click(1), click(2)]  # one still pending: nothing forgotten yet
    journal.handed_over([second])
    assert path.read_bytes() == b"" and journal.pending() == 0
    journal.append(click(3))
    assert lines(path) == [click(3)]  # the same file, from its start


def test_a_full_segment_is_sealed_and_removed_once_confirmed(tmp_path):
    journal = ClickJournal(tmp_path, segment_max=2)
    written = [journal.append(click(n)) for n in range(3)]
    full, current = segments(tmp_path), written[2].path
    assert len(full) == 2 and written[0] is written[1] and written[0].sealed
    journal.handed_over(written[:2])
    assert segments(tmp_path) == [current]


def test_a_graceful_close_removes_what_was_confirmed_and_keeps_what_was_not(tmp_path):
    journal = ClickJournal(tmp_path, segment_max=2)
    written = [journal.append(click(n)) for n in range(3)]
    journal.handed_over(written[:2])
    journal.close()
    [kept] = segments(tmp_path)
    assert lines(kept) == [click(2)]
    successor = ClickJournal(tmp_path)
    assert [c for c, _ in successor.claim_orphans()] == [click(2)]


def test_a_closed_journal_with_nothing_pending_leaves_no_file_nor_directory(tmp_path):
    directory = tmp_path / "vhost"
    journal = ClickJournal(directory)
    journal.handed_over([journal.append(click(1))])
    journal.close()
    assert not directory.exists()


CRASHING_WRITER = textwrap.dedent("""
    import os, sys
    from services.bff.click_journal import ClickJournal
    journal = ClickJournal(sys.argv[1])
    for n in range(int(sys.argv[2])):
        journal.append({"click_id": f"c-{n}", "referral_code": "x", "ip": "198.51.100.1",
                        "user_agent": "ua", "occurred_at": "2026-12-07T10:00:00Z"})
    if sys.argv[3] == "hold":
        print("ready", flush=True)
        sys.stdin.readline()  # holds its segment until told
    os._exit(9)  # no close: as a SIGKILL leaves it
""")


def writer(directory, count: int, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(directory), str(count),
                             mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd())


def test_what_a_crashed_process_wrote_is_claimed_once_and_removed_once_confirmed(tmp_path):
    assert writer(tmp_path, 5, "crash").wait(timeout=30) == 9
    journal, rival = ClickJournal(tmp_path), ClickJournal(tmp_path)
    claimed = journal.claim_orphans()
    assert [c["click_id"] for c, _ in claimed] == [f"c-{n}" for n in range(5)]
    assert rival.claim_orphans() == []  # held by the claimant now
    journal.handed_over(segment for _, segment in claimed)
    assert segments(tmp_path) == []


def test_a_live_process_segment_is_never_claimed(tmp_path):
    live = writer(tmp_path, 3, "hold")
    assert live.stdout.readline().strip() == "ready"
    try:
        assert ClickJournal(tmp_path).claim_orphans() == []
    finally:
        live.stdin.write("\n")
        live.stdin.flush()
        live.wait(timeout=30)
    assert len(ClickJournal(tmp_path).claim_orphans()) == 3  # dead now: its clicks are claimed


def test_a_torn_last_line_is_skipped_and_the_whole_ones_kept(tmp_path):
    assert writer(tmp_path, 2, "crash").wait(timeout=30) == 9
    [path] = segments(tmp_path)
    with path.open("ab") as file:
        file.write(b'{"click_id": "c-2", "refer')  # the write a crash cut short
    claimed = ClickJournal(tmp_path).claim_orphans()
    assert [c["click_id"] for c, _ in claimed] == ["c-0", "c-1"]


def test_a_segment_a_process_died_creating_is_dropped(tmp_path):
    (tmp_path / ("abandoned" + PARTIAL)).write_bytes(b"")
    assert ClickJournal(tmp_path).claim_orphans() == []
    assert list(tmp_path.iterdir()) == []


def test_a_click_that_cannot_be_written_is_refused_and_the_segment_sealed(tmp_path):
    journal = ClickJournal(tmp_path)
    segment = journal.append(click(1))
    os.close(segment.fd)
    os.dup2(os.open(os.devnull, os.O_RDONLY), segment.fd)  # writes now fail (EBADF)
    with pytest.raises(JournalUnavailable):
        journal.append(click(2))
    assert segment.sealed and segment.pending == 1
    assert journal.append(click(3)).path != segment.path  # a new segment takes the next


def test_an_unwritable_directory_is_refused_at_start_and_at_the_first_click(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    journal = ClickJournal(tmp_path / "file" / "clicks")
    with pytest.raises(JournalUnavailable, match="no click journal in"):
        journal.prepare()
    with pytest.raises(JournalUnavailable):
        journal.append(click(1))


@pytest.mark.parametrize(("uri", "name"), [
    ("amqp://guest:guest@127.0.0.1:5672/", "%2F"),
    ("amqp://guest:guest@127.0.0.1:5672", "%2F"),
    ("amqp://u:p@rabbit:5672/alpes", "alpes"),
    ("amqp://u:p@rabbit:5672/test%2Fone", "test%2Fone"),
    ("amqp://u:p@rabbit-0:5672/alpes;amqp://u:p@rabbit-1:5672/alpes", "alpes"),
])
def test_each_broker_vhost_has_its_own_directory(tmp_path, uri, name):
    assert directory_for(tmp_path, uri) == tmp_path / name
