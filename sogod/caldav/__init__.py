"""CalDAV: calendar resources, iCalendar parsing, quick rows, reports and scheduling."""
