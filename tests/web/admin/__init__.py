"""Tests of the administration pages: units, users, campaigns and rule sets."""
