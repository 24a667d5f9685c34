"""An auto-grader for numeric exercises and quizzes.

Student code runs in an isolated child process; every output format is a view of one result record.

Data flows spec → sandbox → judge → record → reports, with authoring, classroom and handoff as wings and
the CLI on top; README.md "Architecture" is the map, tests/test_architecture.py keeps it true. The base
modules here (errors, files, record) import nothing from grader.
"""

__version__ = "0.1.0"
