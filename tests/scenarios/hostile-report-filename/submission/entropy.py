"""Scenario hostile-report-filename: entropy() runs code compiled under a hostile file name.

ATTACK (issue 22): a file name with a backtick, an image and <img>, given to compile(), reached the GitHub step
summary inside hand-made backticks that it closed: the image and <img> were active. Now file names are code
spans that cannot be closed from inside."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    compile("def f(p):\n    return (\n", "x`![i](https://attacker.test/p.png)<img src=x>.py", "exec")
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
