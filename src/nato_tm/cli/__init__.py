"""Command-line edge: parse the input, call a service, print the result (text or --json)."""
