"""The progress page: a shared memory area through which a worker reports to the fork server without waking it.

The fork server creates it (a memfd, mapped shared) for each worker, so the page is new for every worker and holds
nothing from an earlier submission. The worker writes, the server reads:

- a header: the number of event bytes written;
- after it, the worker's events (the same JSON lines as on the portable runner's pipe, minus ``start`` and
  ``importing``), appended one per finished import or call.

The server reads new events only when it wakes for another reason (output, the worker's exit, a poll for
the backstop deadline). Which import or call is under way follows from them: the next one in the round's
order. Student code can write anything here, so the server reads it as hostile data: the length is capped
by the page's size, only whole lines are read, and the events are checked in order
(``zygote.Supervisor._catch_up``).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from typing import Any

HEADER = struct.Struct("<Q")  # bytes of events written
START = 64  # events begin here
SIZE = 64 * 1024 * 1024  # the events of one round; the worker maps it, so it counts in its address space once


def new() -> mmap.mmap:
    """A fresh, zeroed page; shared with a child forked after this."""
    return mmap.mmap(-1, SIZE)


def create() -> tuple[mmap.mmap, int]:
    """A fresh, zeroed page backed by a memfd, and the memfd: the fork server maps it and hands the descriptor
    to the template, which passes it on to the worker it forks without mapping it (grader.sandbox.template)."""
    fd = os.memfd_create("grader-page", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, SIZE)
        return mmap.mmap(fd, SIZE), fd
    except OSError:
        os.close(fd)
        raise


class Writer:
    """The worker's side."""

    def __init__(self, page: mmap.mmap) -> None:
        self.page = page
        self.used = 0

    def append(self, event: dict[str, Any]) -> bool:
        """Write one event line, then count it; False (nothing written) when it does not fit in what is left."""
        data = (json.dumps(event) + "\n").encode()
        end = START + self.used + len(data)
        if end > SIZE:
            return False
        self.page[START + self.used:end] = data
        self.used += len(data)
        HEADER.pack_into(self.page, 0, self.used)
        return True


def read_events(page: mmap.mmap, offset: int, max_line: int) -> tuple[list[Any], int, str | None]:
    """The events written after ``offset``, in the order written; the offset to read from next; and why
    reading stopped early (or None).

    Only whole lines are read: the worker counts a line in the header after writing all of it, so a line
    cut short by the worker's death is never read.
    """
    used = min(HEADER.unpack_from(page, 0)[0], SIZE - START)
    if used <= offset:
        return [], offset, None
    end = page.rfind(b"\n", START + offset, START + used) + 1  # no copy of what a worker claims but never wrote
    if end == 0:
        return [], offset, "an event longer than the cap" if used - offset > max_line else None
    events: list[Any] = []
    for line in page[START + offset:end - 1].split(b"\n"):
        if len(line) > max_line:
            return events, offset, "an event longer than the cap"
        try:
            events.append(json.loads(line))
        except (ValueError, RecursionError):
            return events, offset, "an event that is not JSON"
    return events, end - START, None
