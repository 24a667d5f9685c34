"""Quizzes as course data: the model, loading and checking a quiz file, per-student variants, the answer sheet.

Grading a sheet is judging and lives in grader.judge.quiz. May import what grader.spec may.
"""
