"""Handing results to other systems: GitHub Actions (grader ci, init-ci), the Gradescope autograder bundle,
the vendored installable copy of the grader.

A wing on top. May import: spec, sandbox, judge, reports, authoring, record and the base modules. Never
classroom or the CLI.
"""
