"""The dashboard's pages: each builds its layout once and refreshes it in place."""
