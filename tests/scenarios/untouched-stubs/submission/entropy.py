"""Scenario untouched-stubs: the exercise template handed in unchanged."""


def entropy(probs):
    """Shannon entropy of probs in bits."""
    raise NotImplementedError("Write this function")


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    raise NotImplementedError("Write this function")
