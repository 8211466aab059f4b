"""The sogod process: command line, master (gunicorn embedded), workers."""
