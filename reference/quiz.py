"""Reference answers of the quiz's numeric questions (and of the mistakes its feedback recognises).

Each function takes the question's parameters by name. The entropy and KL come from the exercises'
own references, so a quiz answer and an exercise answer can never disagree.
"""

import importlib.util
import math
from pathlib import Path


def _sibling(name):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_quiz_reference_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entropy = _sibling("entropy").entropy
kl_divergence = _sibling("kl_sweep").kl_divergence
P_LESSON = [0.7, 0.2, 0.1]


def information(p):
    """Surprise of an event of probability p, in bits."""
    return -math.log2(p)


def information_log10(p):
    return -math.log10(p)


def die_entropy(sides):
    return entropy([1 / sides] * sides)


def coin_entropy(p):
    return entropy([p, 1 - p])


def surprise_of_heads(p):
    return information(p)


def kl_reverse(q):
    """KL(Q || P) for the lesson's P, in bits."""
    return kl_divergence(q, P_LESSON)


def kl_forward(q):
    return kl_divergence(P_LESSON, q)


def cross_entropy_from_parts(h, kl):
    return h + kl


def entropy_minus_kl(h, kl):
    return h - kl


def perplexity(h):
    return 2 ** h


def perplexity_natural(h):
    return math.exp(h)


def nats_to_bits(loss):
    return loss / math.log(2)


def nats_times_ln2(loss):
    return loss * math.log(2)
