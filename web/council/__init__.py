"""The Council secretary's list of proposals at the Council."""
