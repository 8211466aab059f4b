"""Keys of the web interface, calendars, contacts and the general user preferences."""

from __future__ import annotations

from .keys import D, Key, S, U, table

WEB, CALENDAR, CONTACTS, LDAP = "web", "calendar", "contacts", "ldap"

LANGUAGES = [
    "Arabic", "Basque", "BrazilianPortuguese", "Catalan", "ChineseTaiwan", "Croatian", "Czech",
    "Danish", "Dutch", "English", "Finnish", "French", "German", "Hebrew", "Hungarian",
    "Icelandic", "Italian", "Lithuanian", "Macedonian", "NorwegianBokmal", "NorwegianNynorsk",
    "Polish", "Portuguese", "Russian", "Serbian", "Slovak", "Slovenian", "SpanishArgentina",
    "SpanishSpain", "Swedish", "TurkishTurkey", "Ukrainian", "Welsh",
]

CATEGORIES = [
    "Customer", "Calls", "Favorites", "Meeting", "Ideas", "Miscellaneous", "Birthday",
    "Anniversary", "Vacation", "Travel", "Projects", "Suppliers", "Gifts", "Clients", "Issues",
    "Business", "Holidays", "Personal", "Status", "Competition", "Follow up", "Public Holiday",
]

WEB_KEYS = table(
    Key("SOGoPageTitle", "string", "SOGo", S, "Title of the web pages.", WEB),
    Key("SOGoHelpURL", "string", None, S,
        "Online help; when set, a help button opens it in a new window.", WEB),
    Key("SOGoFaviconRelativeURL", "string", None, S,
        "Relative URL of the site icon; sogo.ico of the web resources when unset.", WEB),
    Key("SOGoZipPath", "string", "/usr/bin/zip", S,
        "Path of the zip program used to download messages as an archive.", WEB),
    Key("SOGoSupportedLanguages", "array", LANGUAGES, S,
        "Languages offered in the web interface.", WEB),
    Key("SOGoUIAdditionalJSFiles", "array", None, D,
        "Extra JavaScript files loaded by every page, relative to the web resources "
        "directory.", WEB),
    Key("SOGoUIxAdditionalPreferences", "bool", False, S,
        "Add a preferences tab rendered from the UIxAdditionalPreferences.wox template. The "
        "guide lists it per domain, but SOGo only reads the system value.", WEB),
    Key("SOGoExternalAvatarsEnabled", "bool", True, D,
        "Allow fetching avatars from outside services.", WEB),
    Key("SOGoGravatarEnabled", "bool", False, U,
        "Fetch avatars from Gravatar (SOGo's built-in default is NO, whatever the guide "
        "says).", WEB),
    Key("SOGoAlternateAvatar", "string", "none", U,
        "Gravatar's placeholder style for addresses without an avatar.", WEB),
    Key("SOGoRefreshViewIntervals", "array", [1, 2, 5, 10, 20, 30, 60], D,
        "Refresh intervals offered to users.", WEB, unit="minutes", item="int"),
    Key("SOGoRefreshViewCheck", "string", "manually", U,
        "How often open views (e.g. the message list) are refreshed.", WEB,
        choices=("manually", "every_minute", "every_2_minutes", "every_5_minutes",
                 "every_10_minutes", "every_20_minutes", "every_30_minutes", "once_per_hour")),
    Key("SOGoSubscriptionFolderFormat", "string", "%{FolderName} (%{UserName} <%{Email}>)", D,
        "Name given to a folder a user subscribes to; may use %{FolderName}, %{UserName} and "
        "%{Email}.", WEB),
    Key("SOGoLanguage", "string", "English", U,
        "Language of the web interface and of notifications (one of SOGoSupportedLanguages).",
        WEB),
    Key("SOGoTimeZone", "string", "UTC", U,
        "Time zone, an Olson name such as America/Montreal. The guide lists it per domain, "
        "but each user can change it.", WEB),
    Key("SOGoLoginModule", "string", "Mail", U,
        "Module shown after login (SOGo's built-in default is Mail, whatever the guide says).",
        WEB, choices=("Calendar", "Mail", "Contacts")),
    Key("SOGoRememberLastModule", "bool", False, U,
        "Open the module used last instead of SOGoLoginModule.", WEB),
    Key("SOGoShortDateFormat", "string", "%d-%b-%y", U,
        "Short date format (strftime codes).", WEB),
    Key("SOGoLongDateFormat", "string", "%A, %B %d, %Y", U,
        "Long date format (strftime codes).", WEB),
    Key("SOGoTimeFormat", "string", "%H:%M", U,
        "Time format (strftime codes).", WEB),
)

CALENDAR_KEYS = table(
    Key("SOGoEnableEMailAlarms", "bool", False, S,
        "Allow reminders by e-mail; needs OCSEMailAlarmsFolderURL and the sogo-ealarms-notify "
        "cron job.", CALENDAR),
    Key("SOGoAppointmentSendEMailNotifications", "bool", False, D,
        "Send invitations and replies to meeting participants by e-mail.", CALENDAR),
    Key("SOGoFoldersSendEMailNotifications", "bool", False, D,
        "Send an e-mail when a calendar or address book is created.", CALENDAR),
    Key("SOGoACLsSendEMailNotifications", "bool", False, D,
        "Send an e-mail to users who are given or lose access to a calendar or address book.",
        CALENDAR),
    Key("SOGoCalendarDefaultRoles", "array", None, D,
        "Rights given by default when a user is added to a calendar's permissions, e.g. "
        "(PublicViewer, ConfidentialDAndTViewer).", CALENDAR),
    Key("SOGoNotifyOnPersonalModifications", "bool", False, D,
        "Default for mailing the owner when they change their own calendar.", CALENDAR),
    Key("SOGoNotifyOnExternalModifications", "bool", False, D,
        "Default for mailing the owner when someone else changes their calendar.", CALENDAR),
    Key("SOGoiPhoneForceAllDayTransparency", "bool", False, D,
        "Make all-day events from iPhone OS devices transparent to free/busy.", CALENDAR),
    Key("SOGoFreeBusyDefaultInterval", "array", [7, 7], D,
        "Days before and after today covered by published free/busy information.", CALENDAR,
        unit="days", item="int"),
    Key("SOGoDAVCalendarStartTimeLimit", "int", 0, D,
        "How far back calendar queries from DAV clients reach; 0 means no limit.", CALENDAR,
        unit="days", min=0),
    Key("SOGoDayStartTime", "string", "8", U,
        "Hour the working day starts (0 to 12, or HH:MM).", CALENDAR),
    Key("SOGoDayEndTime", "string", "18", U,
        "Hour the working day ends (12 to 23, or HH:MM).", CALENDAR),
    Key("SOGoFirstDayOfWeek", "int", 0, U,
        "First day of the week in week and month views; 0 is Sunday.", CALENDAR, min=0, max=6),
    Key("SOGoFirstWeekOfYear", "string", "January1", U,
        "Which week is the first of the year.", CALENDAR,
        choices=("January1", "First4DayWeek", "FirstFullWeek")),
    Key("SOGoCalendarWeekdays", "array", None, U,
        "Working days (SU, MO, TU, WE, TH, FR, SA).", CALENDAR),
    Key("SOGoCalendarShouldDisplayWeekend", "bool", True, U,
        "Show weekends in week views.", CALENDAR),
    Key("SOGoDefaultCalendar", "string", "selected", U,
        "Calendar that receives new events and tasks.", CALENDAR,
        choices=("selected", "personal", "first")),
    Key("SOGoBusyOffHours", "bool", False, U,
        "Report the hours outside the working day, and weekends, as busy.", CALENDAR),
    Key("SOGoCalendarCategories", "array", CATEGORIES, U,
        "Categories offered for events and tasks.", CALENDAR),
    Key("SOGoCalendarCategoriesColors", "dict", {name: "#CCCCCC" for name in CATEGORIES}, U,
        "Colour of each category: name -> #RRGGBB.", CALENDAR),
    Key("SOGoCalendarEventsDefaultClassification", "string", "PUBLIC", U,
        "Classification of new events.", CALENDAR, choices=("PUBLIC", "CONFIDENTIAL", "PRIVATE")),
    Key("SOGoCalendarTasksDefaultClassification", "string", "PUBLIC", U,
        "Classification of new tasks.", CALENDAR, choices=("PUBLIC", "CONFIDENTIAL", "PRIVATE")),
    Key("SOGoCalendarDefaultReminder", "string", "NONE", U,
        "Reminder of new events, as a negative ISO 8601 duration (-PT15M, -P1D, …) or NONE.",
        CALENDAR),
)

CONTACTS_KEYS = table(
    Key("SOGoContactsDefaultRoles", "array", None, D,
        "Rights given by default when a user is added to an address book's permissions "
        "(ObjectViewer, ObjectEditor, ObjectCreator, ObjectEraser).", CONTACTS),
    Key("SOGoContactsCategories", "array", None, U,
        "Categories offered for contacts; a list that depends on the language when unset.",
        CONTACTS),
    Key("SOGoSelectedAddressBook", "string", "personal", U,
        "Address book selected when the Contacts module opens.", CONTACTS),
    Key("SOGoHideSystemEMail", "bool", False, D,
        "Hide the system address (UIDFieldName@SOGoMailDomain) from CalDAV's "
        "calendar-user-address-set.", CONTACTS),
    Key("SOGoSearchMinimumWordLength", "int", 2, D,
        "Characters to type before a search (attendees, address books) runs.", CONTACTS, min=0),
    Key("SOGoLDAPContactInfoAttribute", "string", "description", D,
        "LDAP attribute shown next to names in address completion; may also be set in a "
        "source.", LDAP),
    Key("SOGoLDAPQueryLimit", "int", None, D,
        "Most entries one LDAP search returns (e.g. in address completion); may also be set "
        "in a source.", LDAP, min=0),
    Key("SOGoLDAPQueryTimeout", "int", 0, D,
        "Time limit of LDAP searches; 0 leaves it to the server. May also be set in a source.",
        LDAP, unit="seconds", min=0),
)
