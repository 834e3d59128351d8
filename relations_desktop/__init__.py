"""Relations Desktop: offline, encrypted fieldwork for ethnographers."""

__version__ = "0.1.0"
APP_NAME = "Relations Desktop"
