"""Tests of the operations room: the scheduler, and kill -9 followed by `tdkt doctor`."""
