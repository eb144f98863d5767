"""Rights (F27), roles and the security manager."""
