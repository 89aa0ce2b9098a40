"""The signed-in user's own account pages (API tokens, password, substitutes, sign-ins)."""
