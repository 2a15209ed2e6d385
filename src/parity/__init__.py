"""parity: merged to main but not live in production? Find the gap, find the switch, fix it safely."""

__version__ = "0.1.0"
