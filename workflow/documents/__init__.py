"""Document files: where they are stored (by SHA-256), what an upload really is, and cells made
safe for Excel.
May use: nothing but the top modules.
"""
