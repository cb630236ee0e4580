"""Training: what ``train`` runs, one module per job.

- ``config``            the ``train`` configuration dataclasses, YAML merging and checks
- ``recipes``           the (method, domain) table: GRPO phases, rewards, rows, SWE rollouts
- ``rewards``           TRL reward functions: step similarity, holistic similarity, math answer
- ``dynamic_sampling``  GRPOTrainer that drops zero-spread groups and refills the batch
- ``swe_rlvr``          RLVR on SWE instances: multi-turn rollouts in Docker, tests as reward
- ``midtrain``          mid-training (causal LM on text) before any RL
- ``pipeline``          the run itself: step data, SFT warm-up, GRPO phases, held-out report
"""
