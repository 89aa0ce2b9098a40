"""Campaign rule sets: schema, YAML loading, expressions, working-day calendar and checks.

Pure code: plain data in, findings out. Neither Flask nor SQLAlchemy is imported here.
"""
