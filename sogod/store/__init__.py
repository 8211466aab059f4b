"""Storage: SOGo's tables through SQLAlchemy."""
