"""frvsr: temporal video super-resolution."""
