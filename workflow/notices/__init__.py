"""Public notices (công khai) and objections from the public; an upheld objection splits its
nominee off through the door.
May use: proposals, notifications, deadlines, accounts, campaigns, audit.
"""
