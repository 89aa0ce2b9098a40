"""Administration: units, users, campaigns and rule sets."""
