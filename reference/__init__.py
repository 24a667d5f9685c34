"""Reference solutions. Loaded only by the grader's own process, never by a sandboxed child."""
