"""The unit clerk's pages: dashboard, drafts, nominees, documents, Excel import, pre-check."""
