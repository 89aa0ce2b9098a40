"""Tests of the Council's pages and API: sittings and decisions."""
