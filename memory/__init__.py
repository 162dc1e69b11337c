"""Long-term per-user memory and session persistence."""
