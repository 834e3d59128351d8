"""Everything that is not a screen. Nothing in this package may import Qt."""
