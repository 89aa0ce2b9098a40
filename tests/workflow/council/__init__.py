"""Tests of the council room: sittings, votes and finalizing."""
