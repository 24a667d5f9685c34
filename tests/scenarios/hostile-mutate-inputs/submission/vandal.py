"""Scenario hostile-mutate-inputs: helper that vandalises the caller's inputs in place.

ATTACKS: a grader that reuses the same input objects across calls or computes the expected
value after the student's call.
"""
import numpy as np


def scribble(*objects):
    for obj in objects:
        try:
            if isinstance(obj, list):
                for item in obj:
                    scribble(item)
                obj.clear()  # HOSTILE: empty the caller's list
            elif isinstance(obj, np.ndarray):
                obj[...] = 999  # HOSTILE: overwrite the caller's array
        except Exception:  # read-only arrays, tuples, ...
            pass
