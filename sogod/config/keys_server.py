"""Keys of the server itself: processes, storage, cache, authentication, domains,
ActiveSync limits, debugging, and the keys only sogod has.

Defaults are what SOGo 3.2.8 uses when the key is unset (its built-in
defaults table, else the fallback in its code), not always what the guide says.
"""

from __future__ import annotations

from .keys import D, Key, S, table

GENERAL, DATABASE, AUTH, DOMAINS = "general", "database", "authentication", "domains"
ACTIVESYNC, DEBUG, SOGOD = "activesync", "debug", "sogod"

PROCESS_KEYS = table(
    Key("WOWorkersCount", "int", 1, S,
        "Number of worker processes serving requests. The service scripts pass PREFORK "
        "(3 by default) on the command line, which wins over this file.", GENERAL, min=1),
    Key("WOListenQueueSize", "int", 5, S,
        "Backlog of the listening socket: connections that wait while every worker is busy.",
        GENERAL, min=0),
    Key("WOPort", "string", "127.0.0.1:20000", S,
        "Where the daemon listens: host:port, a bare port (on 127.0.0.1) or 'auto'.", GENERAL),
    Key("WOLogFile", "string", "/var/log/sogo/sogo.log", S,
        "File the daemon logs to; '-' logs to the console.", GENERAL),
    Key("WOPidFile", "string", "/var/run/sogo/sogo.pid", S,
        "File that receives the process id of the master process.", GENERAL),
    Key("WOWatchDogRequestTimeout", "float", 10, S,
        "A worker still busy with one request after this long is killed and replaced. "
        "Fractions of a minute are allowed; 0 disables the limit. Raise it for ActiveSync push.",
        GENERAL, unit="minutes", min=0),
    Key("WONoDetach", "bool", False, S,
        "YES keeps the daemon in the foreground instead of detaching from the terminal.", GENERAL),
    Key("WOUseWatchDog", "bool", True, S,
        "NO serves requests from a single process, without a master and workers.", GENERAL),
    Key("WORespawnDelay", "int", 5, S,
        "Shortest delay between two restarts of the same worker slot.", GENERAL,
        unit="seconds", min=0),
    Key("WOMaxUploadSize", "int", 0, S,
        "Largest request body accepted (PUT, POST, mail attachments); 0 means no limit.",
        GENERAL, unit="KB", min=0),
    Key("WOHttpAdaptorSendTimeout", "float", 120, S,
        "Time allowed for sending a response to the client.", GENERAL, unit="seconds", min=0),
    Key("WOHttpAdaptorReceiveTimeout", "float", 120, S,
        "Time allowed for receiving a request from the client.", GENERAL, unit="seconds", min=0),
    Key("WOHttpAllowHost", "string-or-array", None, S,
        "Client hosts the HTTP adaptor accepts. With a bare port in WOPort it makes the daemon "
        "listen on every address; otherwise SOGo ignores it, with a warning, under the watchdog.",
        GENERAL),
    Key("WOHTTPAdaptorCapitalizeHeaders", "bool", True, S,
        "Send response header names capitalised (Content-Type rather than content-type).",
        GENERAL),
    Key("WOMessageUseUTF8", "bool", True, S,
        "Encode generated responses in UTF-8.", GENERAL),
    Key("WOParsersUseUTF8", "bool", True, S,
        "Decode request contents as UTF-8.", GENERAL),
    Key("NGUseUTF8AsURLEncoding", "bool", True, S,
        "Decode percent-escaped URLs as UTF-8.", GENERAL),
    Key("WOUseRelativeURLs", "bool", True, S,
        "Generate relative links in the web interface.", GENERAL),
    Key("WOApplicationRedirectURL", "string", None, S,
        "Public base URL once used to build redirects.", GENERAL,
        deprecated="obsolete: have the front-end proxy send the x-webobjects-server-* headers "
                   "instead"),
    Key("SxVMemLimit", "int", 384, S,
        "A worker whose memory grows above this ends after its current response and is "
        "replaced; 0 disables. sogod measures resident memory (SOGo measured virtual size).",
        GENERAL, unit="MB", min=0),
    Key("SOGoMemcachedHost", "string", None, S,
        "The memcached servers (host[:port], comma-separated) or a socket path starting with '/'. "
        "SOGo falls back to localhost; sogod treats an unset value as 'no memcached' and keeps "
        "a cache in each worker.", GENERAL),
    Key("SOGoCacheCleanupInterval", "float", 300, S,
        "Lifetime of every cache entry, including the login and request counters of the rate "
        "limits: keep it at least as long as the block intervals.", GENERAL,
        unit="seconds", min=0),
    Key("SOGoSLAPDSocketPath", "string", "/var/run/sogo/sogo-sockd.sock", S,
        "Unix socket of sogo-slapd-sockd, the LDAP back-end that exposes SOGo contacts.",
        GENERAL),
    Key("domains", "dict", None, S,
        "One dictionary of domain-level (D and U) keys per mail domain; each name must be the "
        "e-mail domain of its users.", DOMAINS),
)

DATABASE_KEYS = table(
    Key("SOGoProfileURL", "url", None, S,
        "Table of user preferences and settings (sogo_user_profile).", DATABASE),
    Key("OCSFolderInfoURL", "url", None, S,
        "Table listing every calendar and address book and where its rows live "
        "(sogo_folder_info).", DATABASE),
    Key("OCSSessionsFolderURL", "url", None, S,
        "Table of web sessions (sogo_sessions_folder).", DATABASE),
    Key("OCSEMailAlarmsFolderURL", "url", None, S,
        "Table of pending e-mail reminders (sogo_alarms_folder); used with "
        "SOGoEnableEMailAlarms.", DATABASE),
    Key("OCSStoreURL", "url", None, S,
        "Single table for the content of every folder (sogo_store). Set together with "
        "OCSAclURL and OCSCacheFolderURL, instead of three tables per folder.", DATABASE),
    Key("OCSAclURL", "url", None, S,
        "Single table for the permissions of every folder (sogo_acl); see OCSStoreURL.",
        DATABASE),
    Key("OCSCacheFolderURL", "url", None, S,
        "Single table for the cached data of every folder (sogo_cache_folder); see "
        "OCSStoreURL.", DATABASE),
    Key("MySQL4Encoding", "string", None, S,
        "Character set of MySQL connections, e.g. utf8mb4 for full Unicode (tables must then "
        "be created beforehand with the utf8mb4 script).", DATABASE),
)

AUTH_KEYS = table(
    Key("SOGoAuthenticationType", "string", None, S,
        "How users log in to the web interface: cas, saml2, or unset for the user sources.",
        AUTH, choices=("", "cas", "saml2")),
    Key("SOGoDAVAuthenticationType", "string", None, S,
        "Set to cas to accept CAS proxy tickets on the DAV URLs.", AUTH),
    Key("SOGoTrustProxyAuthentication", "bool", False, S,
        "Trust the user name the front-end proxy passes (x-webobjects-remote-user).", AUTH),
    Key("SOGoEncryptionKey", "string", "MySOGoEncryptionKey", S,
        "Key that encrypts the passwords of remote web calendars when proxy authentication "
        "is trusted.", AUTH),
    Key("SOGoCASServiceURL", "string", None, S,
        "Base URL of the CAS server; its login and validation URLs are derived from it.", AUTH),
    Key("SOGoCASLogoutEnabled", "bool", False, S,
        "Show a logout link that ends the CAS single sign-on session.", AUTH),
    Key("SOGoSAML2PrivateKeyLocation", "string", None, S,
        "Private key file this server signs and decrypts SAML2 messages with.", AUTH),
    Key("SOGoSAML2CertificateLocation", "string", None, S,
        "Certificate file of this server for SAML2 (the guide misspells it "
        "SOGoSAML2CertiticateLocation).", AUTH),
    Key("SOGoSAML2IdpMetadataLocation", "string", None, S,
        "Metadata file describing the SAML2 identity provider.", AUTH),
    Key("SOGoSAML2IdpPublicKeyLocation", "string", None, S,
        "Public key file of the SAML2 identity provider.", AUTH),
    Key("SOGoSAML2IdpCertificateLocation", "string", None, S,
        "Certificate file of the SAML2 identity provider.", AUTH),
    Key("SOGoSAML2LoginAttribute", "string", None, S,
        "Attribute of the SAML2 assertion that holds the user's login.", AUTH),
    Key("SOGoSAML2LogoutEnabled", "bool", False, S,
        "Show a logout link that logs out at the SAML2 identity provider.", AUTH),
    Key("SOGoSAML2LogoutURL", "string", None, S,
        "Page shown after a SAML2 logout; a blank page when unset.", AUTH),
    Key("SOGoPasswordChangeEnabled", "bool", False, S,
        "Let users change their password from the web interface.", AUTH),
    Key("SOGoLoginSuffix", "string", None, S,
        "Suffix added to the name typed on the login page when it does not already end with "
        "it (e.g. @example.com).", AUTH),
    Key("SOGoEnablePublicAccess", "bool", False, S,
        "Let users share calendars and address books with anonymous visitors.", AUTH),
    Key("SOGoWebAccessEnabled", "bool", True, S,
        "Serve the web interface; NO leaves only DAV and ActiveSync.", AUTH),
    Key("SOGoCalendarDAVAccessEnabled", "bool", True, S,
        "Give DAV clients access to calendars.", AUTH),
    Key("SOGoAddressBookDAVAccessEnabled", "bool", True, S,
        "Give DAV clients access to address books.", AUTH),
    Key("SOGoXSRFValidationEnabled", "bool", False, S,
        "Require the XSRF token on requests of the web interface. The guide lists it per "
        "domain, but SOGo only reads the system value.", AUTH),
    Key("SOGoSuperUsernames", "array", None, D,
        "Logins with administrative rights over every user's data (e.g. to post events "
        "without ACLs).", AUTH),
    Key("SOGoUserSources", "array-of-dicts", None, D,
        "The LDAP and SQL sources of users and shared address books, one dictionary each, "
        "tried in order.", AUTH),
    Key("SOGoMaximumFailedLoginCount", "int", 0, S,
        "Failed logins allowed within SOGoMaximumFailedLoginInterval before the account is "
        "blocked; 0 disables.", AUTH, min=0),
    Key("SOGoMaximumFailedLoginInterval", "int", 10, S,
        "Window in which failed logins are counted.", AUTH, unit="seconds", min=0),
    Key("SOGoFailedLoginBlockInterval", "int", 300, S,
        "How long an account stays blocked after too many failed logins.", AUTH,
        unit="seconds", min=0),
    Key("SOGoMaximumMessageSubmissionCount", "int", 0, S,
        "Messages a user may send within SOGoMaximumSubmissionInterval; 0 disables.", AUTH, min=0),
    Key("SOGoMaximumRecipientCount", "int", 0, S,
        "Recipients a user may send to within SOGoMaximumSubmissionInterval; 0 disables.",
        AUTH, min=0),
    Key("SOGoMaximumSubmissionInterval", "int", 30, S,
        "Window in which sent messages and recipients are counted.", AUTH, unit="seconds", min=0),
    Key("SOGoMessageSubmissionBlockInterval", "int", 300, S,
        "How long a user who sent too much may not send.", AUTH, unit="seconds", min=0),
    Key("SOGoMaximumRequestCount", "int", 0, S,
        "Requests a user may make within SOGoMaximumRequestInterval before getting 429 "
        "answers; 0 disables.", AUTH, min=0),
    Key("SOGoMaximumRequestInterval", "int", 30, S,
        "Window in which requests are counted.", AUTH, unit="seconds", min=0),
    Key("SOGoRequestBlockInterval", "int", 300, S,
        "How long a user who made too many requests is refused.", AUTH, unit="seconds", min=0),
)

DOMAIN_KEYS = table(
    Key("SOGoEnableDomainBasedUID", "bool", False, S,
        "Identify users as login@domain, so logins need only be unique within a domain. "
        "Changing it on a running system changes every user's identifier.", DOMAINS),
    Key("SOGoLoginDomains", "array", None, S,
        "Domains (keys of 'domains') offered in a list on the login page.", DOMAINS),
    Key("SOGoDomainsVisibility", "array-of-arrays", None, S,
        "Groups of domains whose users can see each other, e.g. ((acme.com, coyote.com)); "
        "domains are isolated otherwise.", DOMAINS),
)

ACTIVESYNC_KEYS = table(
    Key("SOGoMaximumPingInterval", "int", 10, S,
        "Longest time an ActiveSync Ping waits before answering.", ACTIVESYNC,
        unit="seconds", min=0),
    Key("SOGoMaximumSyncInterval", "int", 30, S,
        "Longest time an ActiveSync Sync waits before answering.", ACTIVESYNC,
        unit="seconds", min=0),
    Key("SOGoInternalSyncInterval", "int", 10, S,
        "How often a waiting Ping or Sync looks for changes; keep it below the two maxima.",
        ACTIVESYNC, unit="seconds", min=1),
    Key("SOGoMaximumSyncResponseSize", "int", 0, S,
        "Size above which a Sync response is cut short (one item always goes through); "
        "0 keeps the client's choice.", ACTIVESYNC, unit="KB", min=0),
    Key("SOGoMaximumSyncWindowSize", "int", 0, S,
        "Most items in one Sync response; 0 keeps the client's choice. Above 512 confuses "
        "many clients.", ACTIVESYNC, min=0),
    Key("SOGoEASDebugEnabled", "bool", False, S,
        "Log every ActiveSync request and response in full.", ACTIVESYNC),
)

DEBUG_KEYS = table(
    Key("SOGoDebugRequests", "bool", False, S,
        "Log the start and duration of each request and add a SOGo-Request-Duration header.",
        DEBUG),
    Key("SOGoDebugLeaks", "bool", False, S, "Log object allocation statistics per request.", DEBUG),
    Key("SOGoCrashOnSessionCreate", "bool", False, S,
        "Abort when a web session is created (a debugging aid).", DEBUG),
    Key("SOGoUIxDebugEnabled", "bool", False, S,
        "Serve the web interface's scripts unminified, with debugging output.", DEBUG),
    Key("ImapDebugEnabled", "bool", False, S, "Log the IMAP conversation.", DEBUG),
    Key("LDAPDebugEnabled", "bool", False, S, "Log LDAP operations.", DEBUG),
    Key("PGDebugEnabled", "bool", False, S, "Log PostgreSQL statements.", DEBUG),
    Key("MySQL4DebugEnabled", "bool", False, S, "Log MySQL statements.", DEBUG),
    Key("GCSFolderDebugEnabled", "bool", False, S, "Log folder storage operations.", DEBUG),
    Key("GCSFolderManagerDebugEnabled", "bool", False, S,
        "Log folder lookups and creations.", DEBUG),
    Key("GCSFolderManagerSQLDebugEnabled", "bool", False, S,
        "Log the SQL of folder lookups and creations.", DEBUG),
    Key("GCSFolderStoreDebugEnabled", "bool", False, S, "Log folder store operations.", DEBUG),
    Key("GCSChannelManagerDebugEnabled", "bool", False, S,
        "Log database connection management.", DEBUG),
    Key("GCSChannelManagerPoolDebugEnabled", "bool", False, S,
        "Log the database connection pool.", DEBUG),
)

SOGOD_KEYS = table(
    Key("SOGodTrustedProxies", "array", ["127.0.0.1", "::1"], S,
        "Peers whose X-Forwarded-For and x-webobjects-remote-host headers are believed when "
        "logging and rate-limiting clients; other peers are logged by their own address.", SOGOD),
    Key("SOGodUser", "string", "sogo", S,
        "Account the workers run as when sogod is started as root.", SOGOD),
    Key("SOGodEmbeddedUsersURL", "url", None, S,
        "Table of the built-in SQL user source that 'sogo-tool user' manages.", SOGOD),
)
