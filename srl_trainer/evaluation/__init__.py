"""Evaluation: scores of a model or of its predictions, one module per job.

- ``steps``            held-out step scores: mean step reward, format errors, exact matches
- ``swe``              SWE-bench resolve rate of predictions in Docker (swebench grading)
- ``swe_resolve``      resolve rate of an in-memory model on held-out SWE instances
- ``math``             math benchmark generation, grading and the grader self-check
- ``math_benchmarks``  the math benchmarks, loaded from local files or the hub
- ``math_grading``     final-answer extraction and equivalence (math-verify)
- ``math_rollout``     task-level math score: whole solutions written step after step
"""
