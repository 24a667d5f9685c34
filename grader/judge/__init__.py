"""Turning a submission's raw outputs into checks: cases, tolerances, invariants, diagnosis, quizzes.

May import: grader.spec, grader.sandbox, grader.record, grader.errors, grader.files. Never reports or above.
"""
