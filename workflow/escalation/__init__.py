"""The sweep that applies due escalation steps exactly once, and the admin's recompute of open
deadlines; both move proposals through the door.
May use: proposals, deadlines, notifications, accounts, campaigns, audit.
"""
