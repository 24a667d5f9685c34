"""Scenario hostile-fake-results: forges result files and result lines, but every answer is wrong.

ATTACKS: at import writes fake results.json / result.json (cwd, next to __file__, parent
folder, /autograder/results/results.json) and prints a fake JSON score of 100/100 plus a
GitHub Actions ::set-output line; each function prints them again before answering wrong.
"""
from fake_results import shout, write_fake_files

write_fake_files()  # HOSTILE
shout()  # HOSTILE


def entropy(probs):
    shout()
    return -1.0  # wrong on purpose


def most_uncertain(distributions):
    shout()
    return -1  # wrong on purpose
