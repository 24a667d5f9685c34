"""Reading a course into frozen models: course.yaml, exercises, quizzes, reference code, expected values.

Bottom layer with the sandbox. May import: grader.errors, grader.files, grader.sandbox (reference outputs go
through the worker's own coercion), and itself. Never judge, reports or anything above.
"""
