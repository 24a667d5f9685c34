"""Scenario hostile-ignore-sigterm: ignores polite termination signals, then entropy() spins forever.

ATTACKS: timeouts built on SIGTERM / SIGINT (KeyboardInterrupt) / SIGALRM (signal.alarm) /
SIGXCPU (RLIMIT_CPU soft limit). Only SIGKILL (or a hard limit) can stop it. The loop also
swallows any exception a timeout handler might inject.
"""
import signal

import numpy as np

for _name in ("SIGTERM", "SIGINT", "SIGALRM", "SIGXCPU", "SIGHUP"):
    try:  # HOSTILE: ignore the signals a timeout would use
        signal.signal(getattr(signal, _name), signal.SIG_IGN)
    except Exception:  # e.g. not in the main thread
        pass


def entropy(probs):
    while True:  # HOSTILE: spin forever and swallow KeyboardInterrupt / TimeoutError / SystemExit
        try:
            while True:
                pass
        except BaseException:
            continue


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
