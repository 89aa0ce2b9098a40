"""Tests of the proposals room: the one door, its permissions, races, quotas and search."""
