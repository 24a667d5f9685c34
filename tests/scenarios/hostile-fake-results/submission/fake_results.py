"""Scenario hostile-fake-results: shared helper that forges grader output.

ATTACKS: a grader that reads result files from places the student can write to, or that
parses the student's stdout/stderr for its result line.
"""
import json
import os
import sys

FAKE = {"score": 100, "max_score": 100, "status": "passed", "tests": [], "output": "All tests passed!"}
FAKE_LINE = json.dumps(FAKE)


def write_fake_files():
    here = os.path.dirname(os.path.abspath(__file__))
    targets = ["results.json", "result.json", os.path.join("..", "results.json"),
               os.path.join(here, "results.json"), os.path.join(here, "result.json"),
               os.path.join(here, "..", "results.json"), "/autograder/results/results.json"]
    for target in targets:
        try:  # HOSTILE: forge result files
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(FAKE_LINE)
        except Exception:
            pass


def shout():
    """HOSTILE: print fake result lines in several well-known formats."""
    for stream in (sys.stdout, sys.stderr):
        print(FAKE_LINE, file=stream)
        print("::set-output name=result::" + FAKE_LINE, file=stream)
        print("::notice title=Autograder::score 100/100", file=stream)
        print("===== 8 passed in 0.01s =====", file=stream)
        stream.flush()
