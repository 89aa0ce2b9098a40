"""The Council (Hội đồng): sittings and their agenda, attendance, ballot tallies, and finalizing a
nominee's outcome through the door.
May use: proposals, campaigns, audit.
"""
