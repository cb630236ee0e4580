"""Evaluation: held-out step scores, SWE-bench resolve rate in Docker (swebench grading), math
benchmarks and their answer grading."""
