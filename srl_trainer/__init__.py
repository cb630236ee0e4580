"""srl-trainer: Supervised Reinforcement Learning for software-engineering agents and math.

Layout (one line per package; imports go one way: agent <- env <- srl_trainer, and only the entry
point ``swe.py`` imports ``cli``):

- ``cli/``         the command line: one module per command, argument faces only
- ``data/``        trajectory sources, step-wise examples, the embedded corpus and tokenizer
- ``training/``    config, the (method, domain) recipe table, rewards, dynamic sampling, SWE RLVR
- ``evaluation/``  held-out step scores, SWE-bench evaluation, math benchmarks and grading
- ``workflows/``   collection, task synthesis, serving
- ``models.py``    building the embedded tiny model, loading a checkpoint, batched generation
- ``engine.py``    the Docker engine connection commands share
- ``errors.py``    the one-line user error
"""
