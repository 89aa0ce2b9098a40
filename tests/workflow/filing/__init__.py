"""Tests of the filing room: importing nominees from a workbook."""
