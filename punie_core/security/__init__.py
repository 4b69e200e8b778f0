"""Safety foundations: workspace confinement, sensitive files, terminal-safe text, JSON limits."""
