"""Notifications: an inbox row per recipient, mail queued in the outbox and delivered after commit.
May use: deadlines, accounts.
"""
