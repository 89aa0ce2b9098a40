"""Tests of the decisions room: numbering, issuing, corrections and exports."""
