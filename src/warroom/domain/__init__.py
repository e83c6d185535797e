"""Pure rules of incident response. Standard library only; time is always an argument."""
