"""Tests of a proposal's page."""
