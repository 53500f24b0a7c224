"""Files on tasks and messages: uploads, downloads and where their bytes are kept."""
