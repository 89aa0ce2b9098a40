"""Helpers the tests share: the one-door watch (a pytest plugin), snapshots of what a page
could change, and the steps that bring a proposal to a notice, a sitting or a decision.
Shared fixtures live in the conftest.py files; these are plain functions they and the tests
import. May use: everything in the product."""
