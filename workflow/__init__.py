"""The engine, one sub-package (room) per feature; each room's docstring says what it may use.

Shared by every room, and so kept here: errors, actors, ids and the state machine.
"""
