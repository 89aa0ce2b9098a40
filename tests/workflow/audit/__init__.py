"""Tests of the audit room: verifying the chain on a live database."""
