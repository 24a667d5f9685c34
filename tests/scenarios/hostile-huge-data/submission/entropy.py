"""Scenario hostile-huge-data: data meant to choke the grader's own process and its reader's terminal.

ATTACKS (issue 11): entropy prints terminal escape sequences (clear screen, a fake green
"Score: 10/10", a new window title, an OSC 8 hyperlink) and GitHub workflow commands, then
returns a plain list of 2 million floats (the element cap used to cover NumPy arrays only: the grader
went to 1.7 GiB and wrote a 170 MB report). The test checks that the reports show the escapes
as text and that the value was refused in the worker.
"""
import numpy as np


def entropy(probs):
    """Prints escapes and commands, then returns far too many numbers."""
    print("\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[32mScore: 10/10 (100%)\x1b[0m \x9b31m")
    print("::notice::pwned")
    print("::set-output name=score::100")
    return [0.5] * 2_000_000


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
