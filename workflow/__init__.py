"""The engine: the state machine, the one service that changes state, audit, demo seeding."""
