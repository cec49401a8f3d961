"""Notifications: what a user is told about pipeline runs, and how they want to be told."""
