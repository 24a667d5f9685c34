"""Scenario hostile-network: checks whether the sandbox lets it reach the network.

ATTACKS: at import it tries a TCP connection to 127.0.0.1:9, a DNS lookup of example.com
and TCP connections to example.com:80 and 1.1.1.1:53, each in try/except, and records any
success. entropy() returns a wrong value (-1.0) if any network access worked, so with a
working sandbox (no network) every function passes.
"""
import socket

import numpy as np

NETWORK_REACHED = []


def _try(label, action):
    try:
        action()
        NETWORK_REACHED.append(label)
    except Exception:
        pass


def _connect(host, port):
    socket.create_connection((host, port), timeout=1).close()


_try("loopback 127.0.0.1:9", lambda: _connect("127.0.0.1", 9))  # HOSTILE
_try("dns example.com", lambda: socket.getaddrinfo("example.com", 80))  # HOSTILE
_try("tcp example.com:80", lambda: _connect("example.com", 80))  # HOSTILE
_try("tcp 1.1.1.1:53", lambda: _connect("1.1.1.1", 53))  # HOSTILE


def entropy(probs):
    if NETWORK_REACHED:
        return -1.0  # the sandbox leaked: make it visible as a failure
    return _entropy(probs)


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
