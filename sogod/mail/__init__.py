"""Mail: sending over SMTP or sendmail (IMAP and Sieve to come)."""
