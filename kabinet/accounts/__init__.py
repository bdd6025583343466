"""People, organisations, memberships and sign-in sessions of the cabinet."""
