"""Accounts: passwords and signing in, the login brake, sign-ins that end on the server, API
tokens, substitutes, and the admin's units and users.
May use: audit, campaigns.
"""
