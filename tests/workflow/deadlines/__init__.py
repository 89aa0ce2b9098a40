"""Tests of the deadlines room: deadlines as rows, and the `tdkt deadlines` command."""
