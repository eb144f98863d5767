"""Domain rules with no HTTP in them."""
