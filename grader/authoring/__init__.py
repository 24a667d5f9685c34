"""The course side of the commands: ``grader validate``, the student folder and its public bundle, and
opening the course a command grades against (a repository or a student folder).

May import: spec, sandbox, judge, reports, record and the base modules. Never classroom, handoff or the CLI.
"""
