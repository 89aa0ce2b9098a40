"""A proposal's life: the one door (service) every change goes through, its inputs, rule facts,
quota lock, bulk actions, and the read side.
May use: accounts, deadlines, notifications, history, campaigns, audit; and it reads three
ledgers of rooms above it (council tallies, decision coverage, the notice gate), the only arrows
allowed upward.
"""
