"""sogod: the SOGo groupware server, reimplemented in Python."""

__version__ = "0.1.0"
