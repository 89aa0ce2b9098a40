"""Tests of the history room: achievement history as rule checks read it."""
