"""The outer layer: configuration from the environment, the `tdkt` command (and, later,
the Flask web UI and JSON API). Only this package reads the environment."""
