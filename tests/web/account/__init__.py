"""Tests of the signed-in user's own account pages: API tokens and substitutes."""
