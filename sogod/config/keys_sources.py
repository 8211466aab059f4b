"""Keys of one SOGoUserSources entry: an LDAP directory or an SQL table of users."""

from __future__ import annotations

from .keys import D, Key, table

COMMON, LDAP, SQL = "sources", "ldap", "sql"

SOURCE_KEYS = table(
    # Every source
    Key("type", "string", None, D, "Kind of source: ldap or sql.", COMMON, choices=("ldap", "sql")),
    Key("id", "string", None, D,
        "Name of the source, unique across all domains; it appears in URLs of shared "
        "address books.", COMMON),
    Key("canAuthenticate", "bool", False, D, "Users of this source may log in.", COMMON),
    Key("isAddressBook", "bool", False, D,
        "Offer the source as a shared, read-only address book; without it, its users are not "
        "found by address completion or free/busy lookups.", COMMON),
    Key("displayName", "string", None, D, "Name of the shared address book.", COMMON),
    Key("userPasswordAlgorithm", "string", None, D,
        "Scheme of stored passwords and of new ones: none, plain, crypt, md5, md5-crypt, "
        "sha256-crypt, sha512-crypt, smd5, cram-md5, ldap-md5, sha, sha256, sha512, ssha, "
        "ssha256, ssha512, optionally with .b64 or .hex.", COMMON),
    Key("MailFieldNames", "array", None, D,
        "Fields (attributes or columns) holding the user's addresses; mail when unset. SQL "
        "columns may hold several addresses separated by spaces.", COMMON),
    Key("IMAPHostFieldName", "string", None, D,
        "Field holding the user's IMAP server (a host name or a URL like SOGoIMAPServer).",
        COMMON),
    Key("IMAPLoginFieldName", "string", None, D,
        "Field holding the user's IMAP login; the user's login when unset.", COMMON),
    Key("SieveHostFieldName", "string", None, D,
        "Field holding the user's Sieve server (a host name or a URL like SOGoSieveServer).",
        COMMON),
    Key("KindFieldName", "string", None, D,
        "Field whose value group, location or thing makes the entry a resource.", COMMON),
    Key("MultipleBookingsFieldName", "string", None, D,
        "Field holding how many overlapping events a resource accepts: 0 or empty no limit, "
        "-1 busy once booked.", COMMON),
    Key("listRequiresDot", "bool", True, D,
        "List the address book only after a search, or after typing a single dot.", COMMON),
    Key("ModulesConstraints", "dict", None, D,
        "Restrict the Mail, Calendar or ActiveSync module to entries matching attribute "
        "values, e.g. { Calendar = { ou = employees; }; }.", COMMON),
    Key("mapping", "dict", None, D,
        "Contact field -> list of attributes (LDAP) or columns (SQL) tried in order, to "
        "override the built-in mapping of entries to contacts.", COMMON),
    Key("SOGoLDAPContactInfoAttribute", "string", None, D,
        "Attribute shown next to names in address completion, for this source only.", COMMON),
    Key("SOGoLDAPQueryLimit", "int", None, D,
        "Most entries one search of this source returns.", COMMON, min=0),
    Key("SOGoLDAPQueryTimeout", "int", None, D,
        "Time limit of searches of this source.", COMMON, unit="seconds", min=0),
    # LDAP
    Key("hostname", "string", None, D,
        "Space-separated LDAP URLs or host names: ldap://host:389, ldaps://host, "
        "ldap://host/????!StartTLS.", LDAP),
    Key("port", "int", None, D, "Port of the LDAP server.", LDAP, min=1, max=65535,
        deprecated="deprecated: put the port in the URL of 'hostname'"),
    Key("encryption", "string", None, D, "SSL or STARTTLS.", LDAP,
        deprecated="deprecated: use an ldaps:// URL, or the !StartTLS extension, in 'hostname'"),
    Key("baseDN", "string", None, D, "Base DN of the entries.", LDAP),
    Key("scope", "string", "SUB", D, "Depth of searches below baseDN.", LDAP,
        choices=("BASE", "ONE", "SUB")),
    Key("filter", "string", None, D,
        "Extra condition on entries, in EOQualifier syntax: "
        "(objectClass='mailUser' OR objectClass='mailGroup') AND uid <> 'alice'.", LDAP),
    Key("bindDN", "string", None, D, "DN this server binds as.", LDAP),
    Key("bindPassword", "string", None, D, "Password of bindDN.", LDAP),
    Key("bindAsCurrentUser", "bool", False, D,
        "Bind as the logged-in user for every operation (bindDN is still used to find "
        "users' DNs).", LDAP),
    Key("bindFields", "string-or-array", None, D,
        "Attributes searched for the login to find a user's DN (indirect bind); any one "
        "may match.", LDAP),
    Key("CNFieldName", "string", "cn", D, "Attribute holding the full name.", LDAP),
    Key("IDFieldName", "string", "uid", D,
        "Attribute that starts a user's DN when bindFields is not used.", LDAP),
    Key("UIDFieldName", "string", "uid", D,
        "Attribute holding the login; it identifies the user's folders, so it must be unique "
        "across the installation.", LDAP),
    Key("SearchFieldNames", "array", None, D,
        "Attributes matched by searches; sn, displayName and telephoneNumber when unset.", LDAP),
    Key("objectClasses", "array", None, D,
        "Object classes given to entries created in the directory (modifiers, abOU).", LDAP),
    Key("GroupObjectClasses", "array", None, D,
        "Object classes that mark groups; group, groupOfNames, groupOfUniqueNames and "
        "posixGroup when unset.", LDAP),
    Key("modifiers", "array", None, D,
        "Logins allowed to modify the address book of this source.", LDAP),
    Key("MSExchangeHostname", "string", None, D,
        "Attribute holding the user's Exchange server, for OpenChange (unused by sogod).", LDAP),
    Key("abOU", "string", None, D,
        "Container below each user entry that holds that user's LDAP address books.", LDAP),
    Key("passwordPolicy", "bool", False, D,
        "Use the LDAP password policy controls (every request fails on servers without them).",
        LDAP),
    Key("updateSambaNTLMPasswords", "bool", False, D,
        "Also update sambaNTPassword and sambaLMPassword when a password changes.", LDAP),
    # SQL
    Key("viewURL", "url", None, D,
        "Database URL of the table or view of users, with the columns c_uid, c_name, "
        "c_password, c_cn and mail.", SQL),
    Key("authenticationFilter", "string", None, D,
        "SQL condition limiting who may log in.", SQL),
    Key("LoginFieldNames", "array", None, D,
        "Columns a user may log in with; c_uid when unset.", SQL),
    Key("prependPasswordScheme", "bool", False, D,
        "Store new passwords as {scheme}hash.", SQL),
    Key("DomainFieldName", "string", None, D,
        "Column holding the user's domain.", SQL),
)

REQUIRED_SOURCE_KEYS = {
    "ldap": ("baseDN", "hostname"),
    "sql": ("viewURL",),
}
