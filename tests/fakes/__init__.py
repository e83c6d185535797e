"""Fakes of outside services that tests can run against."""
