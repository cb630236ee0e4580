"""Data: trajectory sources (hub / disk / files), step-wise SRL examples, the embedded corpus.

``embedded`` says where the embedded defaults live (``data/``), ``corpus`` rebuilds its task
repositories, ``sources`` reads any trajectory or math source into items, ``stepwise`` turns items
into one example per expert action, ``math_steps`` splits math solutions into steps,
``tokenizer_build`` builds the embedded tokenizer.
"""
