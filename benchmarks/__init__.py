"""Reproducible performance runs: tdkt beside the floor of its own database, in one run."""
