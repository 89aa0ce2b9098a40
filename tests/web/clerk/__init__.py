"""Tests of the unit clerk's pages (web/clerk)."""
