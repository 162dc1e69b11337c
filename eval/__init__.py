"""Offline evaluation (REDIAL, INSPIRED) and simulated-user dialogues."""
