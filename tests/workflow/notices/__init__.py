"""Tests of the notices room: public notices and objections."""
