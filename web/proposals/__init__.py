"""Every proposal's page, its actions, its documents."""
