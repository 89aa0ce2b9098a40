"""Helpers the tests share: the one-door watch (a pytest plugin), snapshots of what a page
could change, the steps that bring a proposal to a notice, a sitting or a decision, races of
writers, API and form clients, workbooks, the working-day calendar, the language switch, a
served app, the `tdkt` command, audit streams, the route table and the browser's visitors.
No test module imports another test module: what two of them share lives here.
Shared fixtures live in the conftest.py files; these are plain functions they and the tests
import. May use: everything in the product."""
