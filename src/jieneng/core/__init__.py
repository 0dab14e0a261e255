"""The domain: pure Python, no database, web, file-format or network imports."""
