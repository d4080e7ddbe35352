"""Who may and should receive what, and how members read what was released to them."""
