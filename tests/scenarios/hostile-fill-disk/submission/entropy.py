"""Scenario hostile-fill-disk: fills the disk through its sandbox copy (issue 21).

Each file stays under the file-size limit (1 MiB), but nothing capped their number: 2.2 GiB of 1 MiB files
went into the copy, on a RAM-backed /tmp, in 2.5 s. It writes up to 2,200 of them at import, ignoring every
error, then answers correctly only if more than the budget (64 MiB) got written. The copy is a tmpfs of the
budget's size in the fork server's mount namespace: the 65th file fails with ENOSPC. most_uncertain writes
one more file without catching the error, so the report shows what the student sees.
"""
import os

import numpy as np

WRITTEN = 0
_block = b"x" * (1 << 20)
for i in range(2200):
    try:
        with open(f"fill-{i}.bin", "wb") as fh:
            fh.write(_block)
        WRITTEN += 1
    except OSError:
        break


def entropy(probs):
    if WRITTEN <= 64:
        return -1.0
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def most_uncertain(distributions):
    with open("one-more.bin", "wb") as fh:
        fh.write(_block)
    return int(np.argmax([entropy(d) for d in distributions]))
