"""Data: expert data in, step-wise SRL examples out, and the embedded corpus.

- ``sources``          read any trajectory or math source (hub / disk / files) into items
- ``stepwise``         one example per expert action (or written math step), within a token budget
- ``math_steps``       math solutions split into steps
- ``embedded``         where the embedded defaults live (``data/``: corpus, math, tokenizer)
- ``corpus``           the embedded SWE corpus's files and the task repositories it rebuilds
- ``tokenizer_build``  builds the embedded tokenizer
"""
