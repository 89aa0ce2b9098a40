"""Deadlines as rows: opened and closed on a proposal's moves, due in working days on the
province's calendar.
May use: campaigns.
"""
