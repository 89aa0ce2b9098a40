"""Tests of the accounts room: the login brake, API tokens, substitutes."""
