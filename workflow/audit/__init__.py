"""The hash-chained audit log: append an event, verify every chain (with the optional key), seal,
replay.
May use: nothing but the top modules.
"""
