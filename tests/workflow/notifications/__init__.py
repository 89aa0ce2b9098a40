"""Tests of the notifications room: the inbox, the outbox and real mail."""
