"""Tests of the escalation room: the sweep, and a sweep killed in its own process."""
