"""The names of the LMS export layouts ``grader batch --layout`` takes, and how a message calls each.

Apart from grader.classroom.layouts (which reads them, and imports PyYAML) so that the CLI can list the choices
without importing the readers: `grader check` starts without them.
"""

from __future__ import annotations

LAYOUTS = ("canvas", "gradescope", "moodle", "classroom", "folders")
TITLE = {"canvas": "a Canvas export", "gradescope": "a Gradescope export", "moodle": "a Moodle export",
         "classroom": "GitHub Classroom repositories", "folders": "one folder per student"}
