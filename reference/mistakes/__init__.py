"""Known wrong answers, written as code beside the reference; the exercise YAML points at them by name."""
