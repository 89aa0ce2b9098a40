"""The Board's review queue and bulk actions."""
