"""Tests of the public notices, their objections, and their JSON API."""
