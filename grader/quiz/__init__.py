"""Quizzes: concept questions in YAML, a per-student answer sheet, and grading with feedback.

- ``model``: the frozen dataclasses; ``load``: reading and validating a quiz file;
- ``variants``: per-student parameters, text and choice order, seeded by SHA-256;
- ``sheet``: writing and reading ``quiz.yaml``; ``answers``: reading one answer;
- ``grading``: scores and feedback; ``public``: what the student bundle may carry.
"""
