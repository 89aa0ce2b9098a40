"""Tests of the documents room: cells made safe for Excel."""
