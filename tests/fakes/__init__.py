"""Contract-faithful fake servers for the outside systems, served over real HTTP on loopback."""
