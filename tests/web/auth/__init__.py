"""Tests of signing in: the login form and its brake, session cookies, sign-ins that end."""
