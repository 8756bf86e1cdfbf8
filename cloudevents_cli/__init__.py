"""cloudevents-cli: element instances with events, from YAML definitions."""

__version__ = "0.1.0"
