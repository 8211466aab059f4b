"""CardDAV: address-book objects, vCard parsing and contact quick rows."""
