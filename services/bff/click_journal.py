"""Answered referral clicks on local disk until the broker has confirmed them.

With ``BFF.click_handover: journaled`` a redirect is answered once its click is a line in
this process's journal (one ``write`` to a file: it is then in the operating system's
keeping, so a crash of the BFF -- SIGKILL, OOM, a bug -- does not take it). The flusher
hands the clicks over as with ``buffered`` and tells the journal which were confirmed;
what a crash leaves in a journal is handed over by the next BFF to start on the same
directory (or by a sibling instance, within ``ORPHAN_SCAN_SECONDS``). A click sent twice
that way is recorded once: tracking skips click ids it already has.

The journal is **segments**: files ``<directory>/<vhost>/<uuid>.clicks``, one JSON click
per line, each held under an exclusive ``flock`` by the process writing it -- the lock
dies with the process, which is how a segment is known to be orphaned. A segment whose
clicks are all confirmed is emptied (the one being written) or removed (a full one:
``segment_max`` lines); so a journal holds about one flush interval of clicks, and a
crash replays at most one segment. The broker's virtual host names the subdirectory:
clicks are only ever handed over to the broker they were meant for.

What it does not cover: the host itself failing (power, kernel) before the flusher's
confirm -- the lines are in the page cache, not forced to the disk (about
``click_flush_ms`` of clicks: the ``buffered`` window). ``confirmed`` covers that too.
"""
from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import logging
import os
import pathlib
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

log = logging.getLogger(__name__)

SUFFIX = ".clicks"
PARTIAL = ".partial"  # a segment being created (not yet locked and named)
ORPHAN_SCAN_SECONDS = 10.0


class JournalUnavailable(Exception):
    """A click could not be written: nothing was promised for it."""


@dataclasses.dataclass(eq=False)
class Segment:
    path: pathlib.Path
    fd: int
    pending: int = 0   # clicks written (or replayed) and not confirmed yet
    written: int = 0   # lines in the file
    sealed: bool = False  # takes no more lines: removed once nothing is pending


def directory_for(root: str | os.PathLike, amqp_uri: str) -> pathlib.Path:
    """The journal's directory for the broker's virtual host (``/`` when none; of the
    first node of a cluster's ``;``-separated URIs)."""
    vhost = unquote(urlsplit(amqp_uri.split(";")[0].strip()).path[1:]) or "/"
    return pathlib.Path(root) / quote(vhost, safe="")


class ClickJournal:
    def __init__(self, directory: str | os.PathLike, *, segment_max: int = 5000):
        if segment_max < 1:
            raise ValueError("segment_max must be at least 1")
        self.directory = pathlib.Path(directory)
        self.segment_max = segment_max
        self._current: Segment | None = None
        self._mine: dict[pathlib.Path, Segment] = {}

    def prepare(self) -> None:
        """Create the directory; ``JournalUnavailable`` when it cannot be written (at start:
        a BFF that can keep no click had better not start than refuse every redirect)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise JournalUnavailable(f"no click journal in {self.directory}: {error}") \
                from error
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise JournalUnavailable(f"no click journal in {self.directory}: not writable "
                                     "(BFF click_journal_dir)")

    # --- writing ----------------------------------------------------------------------
    def append(self, click: dict[str, Any]) -> Segment:
        """Write ``click`` as one line; the segment it is in. ``JournalUnavailable`` when
        the line could not be written whole (the segment is then sealed: a torn line is
        skipped when it is read back)."""
        segment = self._current or self._open_segment()
        line = json.dumps(click, separators=(",", ":")).encode() + b"\n"
        try:
            if os.write(segment.fd, line) != len(line):
                raise OSError(errno.ENOSPC, "short write")
        except OSError as error:
            self._seal(segment)
            raise JournalUnavailable(f"the click journal could not be written: {error}") \
                from error
        segment.written += 1
        segment.pending += 1
        if segment.written >= self.segment_max:
            self._seal(segment)
        return segment

    def _open_segment(self) -> Segment:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = uuid.uuid4().hex
            partial = self.directory / (name + PARTIAL)
            fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND
                         | os.O_CLOEXEC, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # before it can be seen as orphaned
            path = self.directory / (name + SUFFIX)
            os.rename(partial, path)
        except OSError as error:
            raise JournalUnavailable(f"no click journal in {self.directory}: {error}") \
                from error
        segment = self._current = self._mine[path] = Segment(path, fd)
        return segment

    def _seal(self, segment: Segment) -> None:
        segment.sealed = True
        if self._current is segment:
            self._current = None
        if not segment.pending:
            self._remove(segment)

    # --- handing over -----------------------------------------------------------------
    def handed_over(self, segments: Iterable[Segment]) -> None:
        """The broker confirmed one click of each of ``segments`` (a segment once per
        click): a segment with nothing left pending is emptied, or removed if sealed."""
        drained: list[Segment] = []
        for segment in segments:
            segment.pending -= 1
            if not segment.pending:
                drained.append(segment)
        for segment in drained:
            if segment.sealed:
                self._remove(segment)
            elif segment.written:
                os.ftruncate(segment.fd, 0)  # O_APPEND: the next line goes at the start
                segment.written = 0

    def _remove(self, segment: Segment) -> None:
        if self._mine.pop(segment.path, None) is None:
            return
        try:
            segment.path.unlink()
        except FileNotFoundError:
            pass
        os.close(segment.fd)

    # --- what crashed processes left ---------------------------------------------------
    def claim_orphans(self) -> list[tuple[dict[str, Any], Segment]]:
        """The clicks of every segment no live process holds, each with its (now this
        process's, sealed) segment, for the flusher to hand over again."""
        if not self.directory.is_dir():
            return []
        claimed: list[tuple[dict[str, Any], Segment]] = []
        for path in sorted(self.directory.iterdir()):
            if path in self._mine:
                continue
            if path.suffix == PARTIAL:
                self._drop_abandoned(path)
            elif path.suffix == SUFFIX:
                segment, clicks = self._claim(path)
                claimed.extend((click, segment) for click in clicks)
        return claimed

    def _claim(self, path: pathlib.Path) -> tuple[Segment | None, list[dict[str, Any]]]:
        fd = _lock(path)
        if fd is None:
            return None, []
        data = b"".join(iter(lambda: os.read(fd, 1 << 16), b""))
        clicks = _clicks(data, path)
        segment = self._mine[path] = Segment(path, fd, pending=len(clicks),
                                              written=len(clicks), sealed=True)
        if clicks:
            log.warning("%d click(s) left in %s by a stopped BFF: handing them over",
                        len(clicks), path.name)
        else:
            self._remove(segment)
        return segment, clicks

    def _drop_abandoned(self, path: pathlib.Path) -> None:
        fd = _lock(path)  # created by a process that died before naming it: holds nothing
        if fd is not None:
            path.unlink(missing_ok=True)
            os.close(fd)

    def pending(self) -> int:
        return sum(segment.pending for segment in self._mine.values())

    def close(self) -> None:
        """Remove every segment with nothing pending and let the others go (the next
        process on this directory hands them over)."""
        self._current = None
        for segment in list(self._mine.values()):
            if segment.pending:
                os.close(segment.fd)
                del self._mine[segment.path]
            else:
                segment.sealed = True
                self._remove(segment)
        try:
            self.directory.rmdir()
        except OSError:
            pass  # others' segments in it, or it is gone


def _lock(path: pathlib.Path) -> int | None:
    """An exclusive lock on ``path`` if no live process holds it and it is still that
    file (not removed or replaced since it was listed); else None."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino == os.stat(path).st_ino:
            return fd
    except (BlockingIOError, FileNotFoundError):
        pass
    os.close(fd)
    return None


def _clicks(data: bytes, path: pathlib.Path) -> list[dict[str, Any]]:
    """The whole lines of ``data``; a torn one (the write a crash cut short, whose
    redirect was never answered) is skipped."""
    clicks, torn = [], 0
    for line in data.split(b"\n"):
        if not line:
            continue
        try:
            click = json.loads(line)
        except ValueError:
            click = None
        if isinstance(click, dict):
            clicks.append(click)
        else:
            torn += 1
    if torn:
        log.warning("%d torn line(s) skipped in %s (writes a crash cut short: never "
                    "answered)", torn, path.name)
    return clicks
