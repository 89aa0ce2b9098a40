"""Tests of the Board's review queue."""
