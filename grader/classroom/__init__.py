"""A whole class: reading submissions (folders, LMS exports), batch grading, the gradebook, the class summary.

A wing on top. May import: spec, sandbox, judge, reports, authoring, record and the base modules. Never
handoff or the CLI.
"""
