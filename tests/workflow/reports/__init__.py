"""Tests of the reports room: a campaign's figures."""
