"""Scenario hostile-report-markdown: entropy() raises an exception whose message is Markdown and HTML.

ATTACK (issue 22): the message held a link, an image and <img>: the Markdown report showed an active
![status](https://attacker.test/...) (a tracking pixel) and a fake "Instructor note: regraded to 30/30" link.
Now student text sits in code spans in every Markdown view."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    raise ValueError("![status](https://attacker.test/pixel.png) [Instructor note: regraded to 30/30]"
                     "(https://attacker.test/x) <img src=https://attacker.test/i.png>")
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
