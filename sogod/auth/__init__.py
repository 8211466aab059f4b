"""Who is who: user sources (sql, later ldap), password schemes, verified-credential cache."""
