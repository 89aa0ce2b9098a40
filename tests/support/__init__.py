"""Helpers the tests share (fixtures live in conftest.py); nothing here is product code."""
