"""Workflows beside training, one module (or package) per job.

- ``collection``  record expert trajectories (scripted expert or an OpenAI-compatible teacher)
- ``synthesis``   make verified bug-fix instances from a local Python repository with tests
- ``solving``     the agent on a list of task instances, one episode each (solve, resolve rate)
- ``serve``       a checkpoint behind a small OpenAI-compatible chat endpoint
"""
