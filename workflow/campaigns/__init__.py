"""Campaign rule sets in the database: load a YAML as a new immutable version, activate it, compile
it once.
May use: audit.
"""
