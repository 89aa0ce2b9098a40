"""Filing a dossier: create a proposal, add or change its nominees and documents, import nominees
from Excel, and answer a repeated create once.
May use: proposals, documents, campaigns, audit.
"""
