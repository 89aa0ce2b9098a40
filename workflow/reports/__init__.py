"""A campaign's figures: proposals and nominees by unit, state and award form.
May use: deadlines.
"""
