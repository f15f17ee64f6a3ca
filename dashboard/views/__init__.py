"""Small views that only render what the DataStore hands them."""
