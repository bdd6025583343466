"""The cabinet's pages: the main page with the role's sections, the active
sessions, and the site-wide page concerns (language, security headers)."""
