"""Tests of the statistics pages and their Excel downloads."""
