"""An auto-grader for numeric exercises and quizzes.

Student code runs in an isolated child process; every output format is a view of one result record.
"""

__version__ = "0.1.0"
