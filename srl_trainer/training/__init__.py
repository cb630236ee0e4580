"""Training: config and the (method, domain) recipe table, rewards, dynamic sampling, the SWE RLVR
rollout, and the pipeline ``train`` runs (SFT warm-up, GRPO phases, held-out report)."""
