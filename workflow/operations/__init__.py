"""Running an installation: the demo seed, backup and restore, `doctor`, and the scheduler's
wiring.
May use: every other room.
"""
