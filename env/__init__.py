"""The sandboxed repository environment: real Docker containers driven through docker-py.

- ``images``: offline base image (debootstrap rootfs, imported) and per-task instance images.
- ``instances``: SWE-bench-schema task instances; official image names.
- ``shell`` / ``sandbox``: one container per episode with a long-lived shell (``DockerSandbox``).
- ``editor``: ``str_replace_editor`` with OpenHands semantics; ``repo_env``: ``RepoEnv``.
- ``grading``: the one grader (swebench grading, a fresh container per grade); ``replay``: re-running
  expert trajectories.
- ``ownership``: who made a container (pid@host, start time) and whether that run is still alive;
  ``cleanup``: no container left behind; ``demo_task``: a tiny real task for tests and benchmarks.
"""
