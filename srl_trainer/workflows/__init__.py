"""Workflows beside training: trajectory collection (scripted expert or teacher), task synthesis
from a local repository, and serving a checkpoint behind an OpenAI-compatible endpoint."""
