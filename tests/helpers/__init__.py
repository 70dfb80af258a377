"""Helpers shared by tests: converters from outside data sets into the project's canonical inputs."""
