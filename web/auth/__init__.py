"""Login, logout and the language switch."""
